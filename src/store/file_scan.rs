//! Looking for a subject reference's bytes where SQL cannot see: the SQLite database file and its write-ahead
//! log, free space and old frames included. A stored record packs its values without separators, so a copy of
//! "APP-3" cannot be told from the start of a stored "APP-30" by its neighbours; instead an occurrence counts
//! unless the bytes around it spell a live stored value that contains the reference (an `explainer`, from the SQL
//! scan). What is left is a copy no live value accounts for: a deleted row not overwritten, an older log frame.

use std::collections::HashMap;
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use memchr::memmem;

const CHUNK: usize = 4 << 20;

/// Occurrences of `needle` in the SQLite database file at `path` that no `explainers` value accounts for; 0 when
/// there is no file. Read through the one handle kept open for it (see [`database_files`]).
pub(crate) fn unexplained_copies(path: &Path, needle: &[u8], explainers: &[Vec<u8>]) -> std::io::Result<i64> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut handles = database_files().lock().unwrap_or_else(|p| p.into_inner());
    let file = match handles.entry((meta.dev(), meta.ino())) {
        std::collections::hash_map::Entry::Occupied(held) => held.into_mut(),
        std::collections::hash_map::Entry::Vacant(slot) => match File::open(path) {
            Ok(file) => slot.insert(file),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        },
    };
    scan(Positioned { file, offset: 0 }, needle, explainers, CHUNK)
}

/// As [`unexplained_copies`], for the write-ahead log (`-wal`): opened for this scan and closed after it. In WAL
/// mode SQLite's POSIX locks are on the database file and the `-shm` file, never on the log, so closing it drops
/// none; and keeping it open would keep a log SQLite deleted (when its last connection closed) on disk, unlinked
/// but whole, personal data included, with one more descriptor per log.
pub(crate) fn unexplained_copies_in_log(path: &Path, needle: &[u8], explainers: &[Vec<u8>]) -> std::io::Result<i64> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    scan(Positioned { file: &file, offset: 0 }, needle, explainers, CHUNK)
}

/// The database files this process has read, open for the life of the process. SQLite's locks are POSIX advisory
/// locks, which belong to the process and the file: closing *any* descriptor of the file, ours included, silently
/// drops the locks SQLite's own connections hold on it, and another process could then write under them. So a
/// database file read here is never closed; one handle per file (device, inode), so the set stays as small as the
/// number of databases. Only the database file: the log is read through a handle of its own per scan.
fn database_files() -> &'static Mutex<HashMap<(u64, u64), File>> {
    static FILES: OnceLock<Mutex<HashMap<(u64, u64), File>>> = OnceLock::new();
    FILES.get_or_init(Mutex::default)
}

/// Reads a shared handle from the start by position (`pread`), leaving the handle's own offset alone.
struct Positioned<'a> {
    file: &'a File,
    offset: u64,
}

impl Read for Positioned<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.file.read_at(buf, self.offset)?;
        self.offset += read as u64;
        Ok(read)
    }
}

fn scan(mut input: impl Read, needle: &[u8], explainers: &[Vec<u8>], chunk: usize) -> std::io::Result<i64> {
    if needle.is_empty() {
        return Ok(0);
    }
    let finder = memmem::Finder::new(needle);
    let context = explainers.iter().map(Vec::len).max().unwrap_or(0);
    // `buf` holds the file's bytes from `buf_start`; occurrences starting before `next` are already counted.
    let (mut buf, mut buf_start, mut next) = (Vec::new(), 0usize, 0usize);
    let mut count = 0;
    loop {
        let old_len = buf.len();
        buf.resize(old_len + chunk, 0);
        let read = read_full(&mut input, &mut buf[old_len..])?;
        buf.truncate(old_len + read);
        let eof = read == 0;
        let buf_end = buf_start + buf.len();
        // An occurrence can be judged once its right-hand context is in `buf` (or the file ended).
        let decidable = if eof { buf_end } else { buf_end.saturating_sub(needle.len() + context) };
        let from = next - buf_start;
        for i in finder.find_iter(&buf[from..]).map(|i| from + i) {
            if buf_start + i >= decidable {
                break;
            }
            if !explained(&buf, i, needle, explainers) {
                count += 1;
            }
        }
        next = next.max(decidable);
        if eof {
            return Ok(count);
        }
        let keep_from = next.saturating_sub(context).max(buf_start);
        buf.drain(..keep_from - buf_start);
        buf_start = keep_from;
    }
}

fn read_full(input: &mut impl Read, out: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < out.len() {
        match input.read(&mut out[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Whether the occurrence at `at` lies inside a copy of one of `explainers` in `buf`.
fn explained(buf: &[u8], at: usize, needle: &[u8], explainers: &[Vec<u8>]) -> bool {
    explainers.iter().any(|value| {
        memmem::find_iter(value, needle).any(|k| {
            at.checked_sub(k).is_some_and(|start| buf.get(start..start + value.len()) == Some(value.as_slice()))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(hay: &[u8], explainers: &[&[u8]], chunk: usize) -> i64 {
        let explainers: Vec<Vec<u8>> = explainers.iter().map(|e| e.to_vec()).collect();
        scan(hay, b"APP-3", &explainers, chunk).expect("scan")
    }

    #[test]
    fn counts_every_copy_across_chunk_boundaries() {
        let hay = b"xxAPP-3yyAPP-3\0\0APP-3APP-3zz";
        for chunk in 1..hay.len() + 2 {
            assert_eq!(count(hay, &[], chunk), 4, "chunk {chunk}");
        }
    }

    #[test]
    fn copies_inside_live_longer_values_are_explained_and_others_are_not() {
        // A live "APP-30" packed between other values, a live hex pseudonym that happens to hold the bytes, and
        // one dead copy.
        let hay = b"\x05e4f1APP-30checkbox\x00\x00deadAPP-3\x00\x00ffAPP-3aa";
        for chunk in 1..hay.len() + 2 {
            assert_eq!(count(hay, &[b"APP-30", b"ffAPP-3aa"], chunk), 1, "chunk {chunk}");
            assert_eq!(count(hay, &[], chunk), 3, "chunk {chunk}");
        }
    }

    /// Whether this process has a descriptor open on `path` (by inode: a deleted file's descriptor still shows it).
    fn open_in_process(path: &Path) -> bool {
        let meta = std::fs::metadata(path).expect("meta");
        std::fs::read_dir("/proc/self/fd")
            .expect("fds")
            .filter_map(Result::ok)
            .any(|fd| std::fs::metadata(fd.path()).is_ok_and(|m| (m.dev(), m.ino()) == (meta.dev(), meta.ino())))
    }

    #[test]
    fn a_database_file_is_read_whole_from_the_start_every_time_through_one_kept_handle() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        std::fs::write(&path, b"..APP-3..APP-3").expect("write");
        assert_eq!(unexplained_copies(&path, b"APP-3", &[]).expect("scan"), 2);
        assert_eq!(unexplained_copies(&path, b"APP-3", &[]).expect("scan again"), 2, "from the start again");
        let meta = std::fs::metadata(&path).expect("meta");
        let held = database_files().lock().expect("lock").contains_key(&(meta.dev(), meta.ino()));
        assert!(held, "the handle is kept, never closed");
        assert!(open_in_process(&path));
    }

    #[test]
    fn a_log_is_read_whole_and_closed_after_each_scan() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db-wal");
        std::fs::write(&path, b"..APP-3..APP-3").expect("write");
        assert_eq!(unexplained_copies_in_log(&path, b"APP-3", &[]).expect("scan"), 2);
        assert_eq!(unexplained_copies_in_log(&path, b"APP-3", &[]).expect("scan again"), 2);
        assert!(!open_in_process(&path), "no descriptor left: a log SQLite deletes leaves the disk");
        let meta = std::fs::metadata(&path).expect("meta");
        assert!(!database_files().lock().expect("lock").contains_key(&(meta.dev(), meta.ino())));
    }

    #[test]
    fn a_missing_file_holds_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(unexplained_copies(&dir.path().join("none"), b"APP-3", &[]).expect("scan"), 0);
        assert_eq!(unexplained_copies_in_log(&dir.path().join("none-wal"), b"APP-3", &[]).expect("scan"), 0);
    }
}
