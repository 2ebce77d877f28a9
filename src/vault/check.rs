//! Key check values: proof, kept beside the data, that the configured KEK is the one that wrapped it.
//!
//! A check value is a known constant sealed under the KEK (AES-256-GCM, the KEK id in the associated data). It
//! reveals nothing about the key, and only the right key opens it. Without it, a service started with another KEK
//! (after `keys rotate` without updating the configuration, or a typo) looks healthy while no stored subject key,
//! template or TOTP seed opens and 1:N search is silently empty.

use aes_gcm::aead::KeyInit;
use aes_gcm::Aes256Gcm;

use super::keys::{open, seal};
use super::{Kek, VaultError};

const CHECK_PLAINTEXT: &[u8] = b"faceverify/kek-check/v1";

fn aad(kek_id: &str) -> Vec<u8> {
    format!("faceverify/kek-check/v1\0{kek_id}").into_bytes()
}

/// A new check value for `kek`.
pub fn check_value(kek: &Kek) -> Result<Vec<u8>, VaultError> {
    seal(&Aes256Gcm::new(kek.expose().into()), CHECK_PLAINTEXT, &aad(kek.id()))
}

/// Whether `stored` was made by [`check_value`] with this very key and id.
pub fn matches(kek: &Kek, stored: &[u8]) -> bool {
    open(&Aes256Gcm::new(kek.expose().into()), stored, &aad(kek.id())).is_ok_and(|plain| *plain == CHECK_PLAINTEXT)
}

/// Why a KEK was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KekMismatch {
    /// The database's keys are wrapped under another KEK id.
    #[error(
        "the database's keys are wrapped under key-encryption key `{stored}`, but `{configured}` is configured \
         (after `faceverify keys rotate`, point vault.kek_file at the new key)"
    )]
    OtherId { stored: String, configured: String },
    /// Same id, different key material.
    #[error("the configured key-encryption key `{0}` is not the key the database's keys were wrapped with")]
    WrongKey(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_key_and_id_match() {
        let kek = Kek::from_bytes("k1", [7; 32]);
        let check = check_value(&kek).expect("seal");
        assert!(matches(&kek, &check));
        assert!(!matches(&Kek::from_bytes("k1", [8; 32]), &check));
        assert!(!matches(&Kek::from_bytes("k2", [7; 32]), &check));
        let mut flipped = check.clone();
        flipped[20] ^= 1;
        assert!(!matches(&kek, &flipped));
        assert!(!String::from_utf8_lossy(&check).contains("kek-check"), "the constant is not stored in clear");
    }
}
