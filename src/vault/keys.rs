//! Per-subject data keys (DEKs), wrapped by the key-encryption key (KEK) with AES-256-GCM.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::kek::Kek;
use super::VaultError;

pub(crate) const NONCE_LEN: usize = 12;

/// A subject's 256-bit data key. Zeroed on drop, never printed, never serialised.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct DataKey([u8; 32]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// A DEK as stored: which KEK wrapped it, and nonce || ciphertext || tag.
#[derive(Debug, Clone)]
pub struct WrappedKey {
    pub kek_id: String,
    pub blob: Vec<u8>,
}

impl DataKey {
    pub fn generate() -> Result<Self, VaultError> {
        let mut key = [0u8; 32];
        getrandom::getrandom(&mut key).map_err(|_| VaultError::Randomness)?;
        Ok(Self(key))
    }

    pub(crate) fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&self.0.into())
    }

    /// Wraps this key under `kek`, bound to `subject` by the associated data.
    pub fn wrap(&self, kek: &Kek, subject: &str) -> Result<WrappedKey, VaultError> {
        let cipher = Aes256Gcm::new(kek.expose().into());
        let blob = seal(&cipher, &self.0, &wrap_aad(kek.id(), subject))?;
        Ok(WrappedKey { kek_id: kek.id().to_owned(), blob })
    }

    pub fn unwrap(wrapped: &WrappedKey, kek: &Kek, subject: &str) -> Result<Self, VaultError> {
        if wrapped.kek_id != kek.id() {
            return Err(VaultError::UnknownKek(wrapped.kek_id.clone()));
        }
        let cipher = Aes256Gcm::new(kek.expose().into());
        let plain = open(&cipher, &wrapped.blob, &wrap_aad(kek.id(), subject))?;
        let mut key = [0u8; 32];
        if plain.len() != key.len() {
            return Err(VaultError::Integrity);
        }
        key.copy_from_slice(&plain);
        Ok(Self(key))
    }
}

fn wrap_aad(kek_id: &str, subject: &str) -> Vec<u8> {
    format!("faceverify/dek/v1\0{kek_id}\0{subject}").into_bytes()
}

/// nonce (random, 96 bits) || AES-256-GCM(plaintext, aad).
pub(crate) fn seal(cipher: &Aes256Gcm, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, VaultError> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::getrandom(&mut nonce).map_err(|_| VaultError::Randomness)?;
    let ciphertext = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad })
        .map_err(|_| VaultError::Integrity)?;
    let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// Opens `seal`'s output; any change to nonce, ciphertext, tag or associated data is an integrity error.
pub(crate) fn open(cipher: &Aes256Gcm, blob: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    if blob.len() < NONCE_LEN + 16 {
        return Err(VaultError::Integrity);
    }
    let (nonce, ciphertext) = blob.split_at(NONCE_LEN);
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad })
        .map(Zeroizing::new)
        .map_err(|_| VaultError::Integrity)
}

/// Seals a small secret (a TOTP seed) directly under the KEK, bound to `aad`.
pub fn seal_secret(kek: &Kek, plaintext: &[u8], aad: &str) -> Result<Vec<u8>, VaultError> {
    seal(&Aes256Gcm::new(kek.expose().into()), plaintext, aad.as_bytes())
}

pub fn open_secret(kek: &Kek, blob: &[u8], aad: &str) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    open(&Aes256Gcm::new(kek.expose().into()), blob, aad.as_bytes())
}
