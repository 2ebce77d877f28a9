//! The service keys: three random 256-bit keys created on first start and stored only wrapped by the KEK
//! (AES-256-GCM, the associated data naming the kind), so that nothing in the database alone can forge them:
//! - `audit_chain`: the HMAC-SHA256 key of the audit chain and of its head;
//! - `pseudonym`: the HMAC-SHA256 key that turns a subject reference into the pseudonym stored in audit rows and
//!   consents;
//! - `checkpoint_signing`: the Ed25519 seed that signs exported audit checkpoints.
//!
//! They are random rather than derived from the KEK so that `keys rotate` (a new KEK) only rewraps them: old audit
//! rows keep verifying and pseudonyms stay stable. `chain_from` (the first audit row under the keyed chain) is bound
//! into every wrapping's associated data, so it cannot be moved without the KEK.

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::keys::{open, seal};
use super::{Kek, VaultError};

/// The kinds, as stored in `service_keys.kind`.
pub const SERVICE_KEY_KINDS: [&str; 3] = ["audit_chain", "pseudonym", "checkpoint_signing"];

/// Zeroed on drop, never printed, never serialised.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct ServiceKeys {
    chain: [u8; 32],
    pseudonym: [u8; 32],
    signing_seed: [u8; 32],
    chain_from: i64,
}

impl std::fmt::Debug for ServiceKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServiceKeys {{ chain_from: {}, keys: <redacted> }}", self.chain_from)
    }
}

/// One service key as stored: its kind, the KEK that wrapped it, nonce || ciphertext || tag.
#[derive(Debug, Clone)]
pub struct WrappedServiceKey {
    pub kind: String,
    pub kek_id: String,
    pub blob: Vec<u8>,
}

impl ServiceKeys {
    /// Fresh random keys; the keyed audit chain starts at row `chain_from`.
    pub fn generate(chain_from: i64) -> Result<Self, VaultError> {
        let mut keys = Self { chain: [0; 32], pseudonym: [0; 32], signing_seed: [0; 32], chain_from };
        for key in [&mut keys.chain, &mut keys.pseudonym, &mut keys.signing_seed] {
            getrandom::getrandom(key).map_err(|_| VaultError::Randomness)?;
        }
        Ok(keys)
    }

    /// Keys from raw bytes (tests).
    pub fn from_bytes(chain: [u8; 32], pseudonym: [u8; 32], signing_seed: [u8; 32], chain_from: i64) -> Self {
        Self { chain, pseudonym, signing_seed, chain_from }
    }

    /// The first audit row (sequence number) whose hash is keyed; earlier rows are the legacy SHA-256 chain.
    pub fn chain_from(&self) -> i64 {
        self.chain_from
    }

    /// The subject's keyed pseudonym: hex HMAC-SHA256 under the pseudonym key. Stable across KEK rotations.
    pub fn pseudonym(&self, subject: &str) -> String {
        let mut mac = keyed(&self.pseudonym);
        mac.update(subject.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// HMAC-SHA256 under the audit-chain key over `parts`, each prefixed with its length (so no two different
    /// sequences of parts give the same input), as hex.
    pub fn chain_mac(&self, parts: &[&[u8]]) -> String {
        let mut mac = keyed(&self.chain);
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// The checkpoint signature of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        SigningKey::from_bytes(&self.signing_seed).sign(message).to_bytes()
    }

    /// The public half of the checkpoint-signing key.
    pub fn verifying_key(&self) -> VerifyingKey {
        SigningKey::from_bytes(&self.signing_seed).verifying_key()
    }

    /// Each key wrapped under `kek`.
    pub fn wrap(&self, kek: &Kek) -> Result<Vec<WrappedServiceKey>, VaultError> {
        let cipher = aes_gcm::Aes256Gcm::new(kek.expose().into());
        SERVICE_KEY_KINDS
            .iter()
            .zip([&self.chain, &self.pseudonym, &self.signing_seed])
            .map(|(kind, key)| {
                let blob = seal(&cipher, key, &aad(kind, kek.id(), self.chain_from))?;
                Ok(WrappedServiceKey { kind: (*kind).to_owned(), kek_id: kek.id().to_owned(), blob })
            })
            .collect()
    }

    /// Opens the stored keys; every kind must be present, wrapped by `kek`, for this `chain_from`.
    pub fn unwrap(stored: &[WrappedServiceKey], kek: &Kek, chain_from: i64) -> Result<Self, VaultError> {
        let cipher = aes_gcm::Aes256Gcm::new(kek.expose().into());
        let mut keys = Self { chain: [0; 32], pseudonym: [0; 32], signing_seed: [0; 32], chain_from };
        for (kind, dst) in SERVICE_KEY_KINDS.iter().zip([&mut keys.chain, &mut keys.pseudonym, &mut keys.signing_seed])
        {
            let wrapped = stored.iter().find(|w| w.kind == *kind).ok_or(VaultError::Integrity)?;
            if wrapped.kek_id != kek.id() {
                return Err(VaultError::UnknownKek(wrapped.kek_id.clone()));
            }
            let plain = open(&cipher, &wrapped.blob, &aad(kind, kek.id(), chain_from))?;
            if plain.len() != dst.len() {
                return Err(VaultError::Integrity);
            }
            dst.copy_from_slice(&plain);
        }
        Ok(keys)
    }
}

fn aad(kind: &str, kek_id: &str, chain_from: i64) -> Vec<u8> {
    format!("faceverify/service-key/v1\0{kind}\0{kek_id}\0{chain_from}").into_bytes()
}

/// HMAC-SHA256 keyed with a 256-bit key. HMAC pads a key shorter than the hash's 64-byte block with zeros, so
/// giving the padded block is the same function, without `new_from_slice`'s impossible error.
fn keyed(key: &[u8; 32]) -> Hmac<Sha256> {
    let mut block = Zeroizing::new([0u8; 64]);
    block[..32].copy_from_slice(key);
    <Hmac<Sha256> as KeyInit>::new(hmac::digest::generic_array::GenericArray::from_slice(&block[..]))
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signature, Verifier};

    use super::*;

    fn keys() -> ServiceKeys {
        ServiceKeys::from_bytes([1; 32], [2; 32], [3; 32], 7)
    }

    #[test]
    fn the_padded_key_is_plain_hmac_sha256() {
        // RFC 4231 test case 2 uses a 4-byte key; any key shorter than the block behaves alike.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&[2; 32]).expect("key");
        mac.update(b"APP-3");
        assert_eq!(keys().pseudonym("APP-3"), hex::encode(mac.finalize().into_bytes()));
    }

    #[test]
    fn pseudonyms_are_stable_keyed_and_distinct() {
        let k = keys();
        assert_eq!(k.pseudonym("APP-3"), k.pseudonym("APP-3"));
        assert_ne!(k.pseudonym("APP-3"), k.pseudonym("APP-30"));
        assert_ne!(k.pseudonym("APP-3"), ServiceKeys::from_bytes([1; 32], [9; 32], [3; 32], 7).pseudonym("APP-3"));
        assert_eq!(k.pseudonym("APP-3").len(), 64);
    }

    #[test]
    fn chain_macs_separate_their_parts() {
        let k = keys();
        assert_ne!(k.chain_mac(&[b"ab", b"c"]), k.chain_mac(&[b"a", b"bc"]));
    }

    #[test]
    fn keys_wrap_under_the_kek_and_bind_kind_kek_and_chain_start() {
        let kek = Kek::from_bytes("k1", [5; 32]);
        let k = ServiceKeys::generate(12).expect("keys");
        let wrapped = k.wrap(&kek).expect("wrap");
        let back = ServiceKeys::unwrap(&wrapped, &kek, 12).expect("unwrap");
        assert_eq!(back.pseudonym("S"), k.pseudonym("S"));
        assert!(ServiceKeys::unwrap(&wrapped, &kek, 1).is_err(), "the keyed chain's start cannot be moved");
        assert!(ServiceKeys::unwrap(&wrapped, &Kek::from_bytes("k1", [6; 32]), 12).is_err(), "another KEK");
        let mut swapped = wrapped.clone();
        swapped[0].blob = wrapped[1].blob.clone();
        assert!(ServiceKeys::unwrap(&swapped, &kek, 12).is_err(), "a key moved to another kind");
        assert!(ServiceKeys::unwrap(&wrapped[..2], &kek, 12).is_err(), "a kind missing");
        assert_eq!(format!("{k:?}"), "ServiceKeys { chain_from: 12, keys: <redacted> }");
    }

    #[test]
    fn signatures_verify_under_the_public_key_only() {
        let k = keys();
        let signature = Signature::from_bytes(&k.sign(b"checkpoint"));
        assert!(k.verifying_key().verify(b"checkpoint", &signature).is_ok());
        assert!(k.verifying_key().verify(b"checkpoinT", &signature).is_err());
        let other = ServiceKeys::from_bytes([1; 32], [2; 32], [4; 32], 7);
        assert!(other.verifying_key().verify(b"checkpoint", &signature).is_err());
    }
}
