//! What differs between the two databases: how a pool is opened and tuned, which error codes mean "try again
//! later", and the file permissions of an SQLite database. Everything else (the SQL) is shared.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyPool, Executor};

use super::StoreError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Binding an optional score so that PostgreSQL is told FLOAT8 whether or not it is NULL: a statement is prepared
/// once with the parameter types of its first use, so a NULL sent as FLOAT4 there makes every later score fail.
/// sqlx 0.8.6's `Any` driver swaps the NULL float kinds (transact-rs/sqlx#4284): a NULL `f32` goes out as FLOAT8,
/// a NULL `f64` as FLOAT4. The PostgreSQL pass of the API suite fails if an upgrade changes that.
pub(crate) trait BindScore {
    fn bind_score(self, score: Option<f32>) -> Self;
}

impl<'q> BindScore for sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    fn bind_score(self, score: Option<f32>) -> Self {
        match score {
            Some(s) => self.bind(f64::from(s)),
            None => self.bind(None::<f32>),
        }
    }
}

/// Error codes after which the same statement may succeed later: the database is busy, restarting or unreachable.
pub(super) fn is_transient(code: &str) -> bool {
    // SQLite: SQLITE_BUSY, SQLITE_LOCKED and their extended codes (busy_timeout ran out).
    matches!(code, "5" | "6" | "517" | "262")
        // PostgreSQL: connection exceptions (08xxx), insufficient resources (53xxx), operator intervention
        // (57P0x: shutdown, restart), serialization failure, deadlock, lock_timeout ran out.
        || code.starts_with("08")
        || code.starts_with("53")
        || matches!(code, "57P01" | "57P02" | "57P03" | "40001" | "40P01" | "55P03")
}

/// A pool for `url`, each connection tuned so that waiting for a lock is bounded by `busy_timeout`.
pub(super) async fn open(backend: Backend, url: &str, busy_timeout: Duration) -> Result<AnyPool, StoreError> {
    sqlx::any::install_default_drivers();
    let wait_ms = busy_timeout.as_millis();
    let options =
        AnyPoolOptions::new().max_connections(8).acquire_timeout(busy_timeout.max(Duration::from_millis(500)));
    let pool = match backend {
        Backend::Sqlite => {
            if let Some(parent) = sqlite_file(url)?.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| StoreError::Unavailable(sqlx::Error::Io(e)))?;
            }
            restrict_sqlite_files(url)?;
            options
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        // WAL for concurrent readers; FULL so a commit survives power loss, not only a crash.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        // Deleted rows are overwritten with zeros, not left in free space (erasure, crypto-shredding).
                        conn.execute("PRAGMA secure_delete = ON").await?;
                        conn.execute(format!("PRAGMA busy_timeout = {wait_ms}").as_str()).await?;
                        Ok(())
                    })
                })
                .connect(&with_create_mode(url))
                .await?
        }
        Backend::Postgres => {
            options
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        conn.execute(format!("SET lock_timeout = {wait_ms}").as_str()).await?;
                        Ok(())
                    })
                })
                .connect(url)
                .await?
        }
    };
    Ok(pool)
}

/// Before the first connection: an SQLite database holds personal references, so its file is created owner-only
/// (like the key files) before SQLite writes a byte to it; SQLite gives its -wal and -shm files the same mode. An
/// existing file (and its -wal/-shm) is narrowed to owner-only too. In-memory databases have no file.
fn restrict_sqlite_files(url: &str) -> Result<(), StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = sqlite_file(url)?;
    if file.as_os_str().is_empty() || url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(());
    }
    let io = |e| StoreError::Unavailable(sqlx::Error::Io(e));
    // Only a new file is opened (and closed) here: closing a descriptor of a database that SQLite connections of
    // this process already hold would drop their POSIX locks. Existing files are narrowed by path.
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&file) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io(e)),
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut path = file.as_os_str().to_owned();
        path.push(suffix);
        match std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
            _ => {}
        }
    }
    Ok(())
}

/// The database file of an SQLite URL, when it names one on disk (not `:memory:`).
pub(super) fn sqlite_file_on_disk(backend: Backend, url: &str) -> Option<PathBuf> {
    if backend != Backend::Sqlite {
        return None;
    }
    sqlite_file(url).ok().filter(|p| p.is_file())
}

fn sqlite_file(url: &str) -> Result<PathBuf, StoreError> {
    Ok(SqliteConnectOptions::from_str(url).map_err(StoreError::Database)?.get_filename().to_path_buf())
}

/// The `Any` driver opens SQLite read-write only; a missing database file is created unless the URL says otherwise.
fn with_create_mode(url: &str) -> String {
    if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_picks_the_backend() {
        assert_eq!(Backend::of("sqlite://data/x.db").ok(), Some(Backend::Sqlite));
        assert_eq!(Backend::of("postgres://127.0.0.1/test").ok(), Some(Backend::Postgres));
        assert_eq!(Backend::of("postgresql://127.0.0.1/test").ok(), Some(Backend::Postgres));
        assert!(matches!(Backend::of("mysql://x"), Err(StoreError::UnsupportedUrl)));
    }

    #[test]
    fn sqlite_urls_create_the_file_unless_told_otherwise() {
        assert_eq!(with_create_mode("sqlite://a.db"), "sqlite://a.db?mode=rwc");
        assert_eq!(with_create_mode("sqlite://a.db?cache=shared"), "sqlite://a.db?cache=shared&mode=rwc");
        assert_eq!(with_create_mode("sqlite://a.db?mode=ro"), "sqlite://a.db?mode=ro");
    }

    #[test]
    fn busy_and_unreachable_codes_are_transient() {
        for code in ["5", "517", "08006", "57P01", "40001", "55P03", "53300"] {
            assert!(is_transient(code), "{code}");
        }
        for code in ["19", "2067", "23505", "42P01", "22P02"] {
            assert!(!is_transient(code), "{code}");
        }
    }

    #[test]
    fn the_database_file_is_owner_only_before_sqlite_writes_to_it() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("fv.db");
        restrict_sqlite_files(&format!("sqlite://{}", file.display())).expect("created");
        let meta = std::fs::metadata(&file).expect("exists");
        assert_eq!((meta.len(), meta.permissions().mode() & 0o777), (0, 0o600), "empty and owner-only");
        let wal = dir.path().join("fv.db-wal");
        std::fs::write(&wal, b"").expect("wal");
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        restrict_sqlite_files(&format!("sqlite://{}", file.display())).expect("narrowed");
        assert_eq!(std::fs::metadata(&wal).expect("wal").permissions().mode() & 0o777, 0o600);
        restrict_sqlite_files("sqlite::memory:").expect("no file for in-memory databases");
    }
}
