//! Key material. The key-encryption key (KEK) wraps per-subject data keys; this module loads it from a file
//! that only its owner may read, or, when none is configured, generates a development key on first run and says so.

mod kek;

pub use kek::{load_or_generate, Kek, KeyError};
