//! Key material and sealing. A key-encryption key (KEK) wraps a data key (DEK) per subject; each face template
//! is sealed under its subject's DEK. Destroying a subject's DEK makes every ciphertext of that subject
//! unrecoverable (crypto-shredding). Plaintext keys and templates live only in zeroizing types. The service keys
//! (audit chain, pseudonyms, checkpoint signing) are wrapped by the KEK too.

pub mod check;
mod kek;
mod keys;
mod service_keys;
mod template;

pub use check::KekMismatch;
pub use kek::{env_kek, from_env_value, load, load_or_generate, take_env_kek, Kek, KeyError, KEK_ENV};
pub use keys::{open_secret, seal_secret, DataKey, WrappedKey};
pub use service_keys::{ServiceKeys, WrappedServiceKey, SERVICE_KEY_KINDS};
pub use template::{open_crop, open_template, seal_crop, seal_template, TemplateBinding};

/// Deliberately detail-free: a caller learns that opening failed, not why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("integrity check failed: the ciphertext or its binding was altered")]
    Integrity,
    #[error("the key is wrapped by key-encryption key `{0}`, which is not loaded")]
    UnknownKek(String),
    #[error("no system randomness")]
    Randomness,
}
