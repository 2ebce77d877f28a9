//! The key-encryption key: 32 random bytes, hex in a file readable by its owner only.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::Mutex;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key file {0} is readable by group or others (chmod 600 it)")]
    Permissions(String),
    #[error("key file {0} does not hold 64 hex characters")]
    Malformed(String),
    #[error("key file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("no system randomness: {0}")]
    Random(String),
}

/// 256-bit key. Zeroed on drop, never printed, never serialised.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Kek {
    id: String,
    key: [u8; 32],
}

impl Kek {
    /// A KEK from raw bytes (tests, rotation tooling).
    pub fn from_bytes(id: &str, key: [u8; 32]) -> Self {
        Self { id: id.to_owned(), key }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn expose(&self) -> &[u8; 32] {
        &self.key
    }

    /// A 256-bit key for another use, HMAC-SHA256(KEK, `label`): every replica holding this KEK derives the same
    /// one, and it is no help in unwrapping data keys.
    pub fn derive(&self, label: &str) -> Zeroizing<[u8; 32]> {
        use hmac::digest::{generic_array::GenericArray, KeyInit};
        use hmac::{Hmac, Mac};
        // HMAC pads a key shorter than the hash's block with zeros; doing it here makes the key length infallible.
        let mut block = Zeroizing::new([0u8; 64]);
        block[..32].copy_from_slice(&self.key);
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new(GenericArray::from_slice(&block[..]));
        mac.update(label.as_bytes());
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(&mac.finalize().into_bytes());
        out
    }
}

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Kek {{ id: {:?}, key: <redacted> }}", self.id)
    }
}

/// Loads the KEK from `path` (its id is the file stem).
pub fn load(path: &Path) -> Result<Kek, KeyError> {
    read(path)
}

/// The environment variable that may carry the KEK as `ID:HEX`.
pub const KEK_ENV: &str = "FACEVERIFY_KEK";

static ENV_KEK: Mutex<Option<Zeroizing<String>>> = Mutex::new(None);

/// Moves `FACEVERIFY_KEK` out of the process environment into zeroizing memory, so that child processes, crash
/// handlers and libraries reading the environment never see it. `main` calls this before any thread starts; the
/// KEK loaders call it too (idempotent). The kernel's copy of the initial environment (`/proc/PID/environ`,
/// readable by the same user and root) is not ours to clear: prefer `vault.kek_file` in production.
pub fn take_env_kek() {
    if let Some(value) = std::env::var_os(KEK_ENV) {
        std::env::remove_var(KEK_ENV);
        let value = Zeroizing::new(value.to_string_lossy().into_owned());
        *ENV_KEK.lock().unwrap_or_else(|p| p.into_inner()) = Some(value);
    }
}

/// The KEK taken from the environment by [`take_env_kek`], if one was given.
pub fn env_kek() -> Option<Result<Kek, KeyError>> {
    take_env_kek();
    ENV_KEK.lock().unwrap_or_else(|p| p.into_inner()).as_deref().map(|value| from_env_value(value))
}

/// Parses `ID:HEX` (64 hex characters), the form of the `FACEVERIFY_KEK` environment variable.
pub fn from_env_value(value: &str) -> Result<Kek, KeyError> {
    let malformed = || KeyError::Malformed("FACEVERIFY_KEK (expected ID:64-hex)".into());
    let (id, hex_key) = value.split_once(':').ok_or_else(malformed)?;
    let mut key = [0u8; 32];
    if id.is_empty() || hex::decode_to_slice(hex_key.trim(), &mut key).is_err() {
        key.zeroize();
        return Err(malformed());
    }
    Ok(Kek { id: id.to_owned(), key })
}

/// Loads the KEK from `configured`; without one, loads or creates the development key at `dev_path`.
/// Returns the key and whether it is a development key.
pub fn load_or_generate(configured: Option<&Path>, dev_path: &Path) -> Result<(Kek, bool), KeyError> {
    if let Some(path) = configured {
        return Ok((read(path)?, false));
    }
    if !dev_path.exists() {
        generate(dev_path)?;
        tracing::warn!(path = %dev_path.display(), "generated a development key-encryption key: not for production");
    }
    Ok((read(dev_path)?, true))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io { path: path.display().to_string(), source }
}

fn read(path: &Path) -> Result<Kek, KeyError> {
    let mode = fs::metadata(path).map_err(io(path))?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(KeyError::Permissions(path.display().to_string()));
    }
    let text = Zeroizing::new(fs::read_to_string(path).map_err(io(path))?);
    let mut key = [0u8; 32];
    if hex::decode_to_slice(text.trim(), &mut key).is_err() {
        key.zeroize();
        return Err(KeyError::Malformed(path.display().to_string()));
    }
    let id = path.file_stem().and_then(|s| s.to_str()).unwrap_or("kek").to_owned();
    Ok(Kek { id, key })
}

fn generate(path: &Path) -> Result<(), KeyError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(io(path))?;
    }
    let mut key = Zeroizing::new([0u8; 32]);
    getrandom::getrandom(&mut key[..]).map_err(|e| KeyError::Random(e.to_string()))?;
    let text = Zeroizing::new(hex::encode(&key[..]));
    let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io(path))?;
    file.write_all(text.as_bytes()).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_run_generates_an_owner_only_key_and_later_runs_reuse_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("data/dev-kek.key");
        let (first, dev) = load_or_generate(None, &path).expect("generates");
        assert!(dev);
        assert_eq!(fs::metadata(&path).expect("meta").permissions().mode() & 0o777, 0o600);
        let (second, _) = load_or_generate(None, &path).expect("loads");
        assert_eq!(first.expose(), second.expose());
        assert!(!format!("{first:?}").contains(&hex::encode(first.expose())));
    }

    #[test]
    fn the_environment_variable_is_moved_out_of_the_environment() {
        // The only test that sets FACEVERIFY_KEK.
        std::env::set_var(KEK_ENV, format!("env-1:{}", "cd".repeat(32)));
        let kek = env_kek().expect("given").expect("parses");
        assert_eq!((kek.id(), kek.expose()), ("env-1", &[0xcd; 32]));
        assert!(std::env::var_os(KEK_ENV).is_none(), "no longer in the environment");
        assert_eq!(env_kek().expect("kept").expect("parses").expose(), &[0xcd; 32], "still loadable");
    }

    #[test]
    fn derived_keys_are_hmac_sha256_of_the_label_and_differ_by_label() {
        use hmac::{Hmac, Mac};
        let kek = Kek::from_bytes("k", [7; 32]);
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&[7; 32]).expect("key");
        mac.update(b"faceverify/csrf/v1");
        assert_eq!(&kek.derive("faceverify/csrf/v1")[..], &mac.finalize().into_bytes()[..]);
        assert_ne!(kek.derive("a")[..], kek.derive("b")[..]);
        assert_ne!(kek.derive("a")[..], Kek::from_bytes("k", [8; 32]).derive("a")[..]);
    }

    #[test]
    fn env_value_carries_id_and_key() {
        let kek = from_env_value(&format!("prod-2026:{}", "ab".repeat(32))).expect("parses");
        assert_eq!(kek.id(), "prod-2026");
        assert_eq!(kek.expose(), &[0xab; 32]);
        for bad in ["", "nohex", ":abab", &format!("id:{}", "zz".repeat(32))] {
            assert!(matches!(from_env_value(bad), Err(KeyError::Malformed(_))), "{bad}");
        }
    }

    #[test]
    fn refuses_keys_readable_by_others_and_malformed_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("kek.key");
        fs::write(&path, "00".repeat(32)).expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(matches!(load_or_generate(Some(&path), &path), Err(KeyError::Permissions(_))));
        fs::write(&path, "not hex").expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        assert!(matches!(load_or_generate(Some(&path), &path), Err(KeyError::Malformed(_))));
    }
}
