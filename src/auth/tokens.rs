//! Bearer secrets: API keys (`fvk_<id>_<secret>`) and session tokens (`fvs_<secret>`). Only their SHA-256 is
//! stored; the plaintext is shown once. They are 256-bit random, so a fast hash is enough.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::random::{self, RandomnessUnavailable, Source};

fn random_hex(bytes: usize, source: Source) -> Result<Zeroizing<String>, RandomnessUnavailable> {
    let mut buf = Zeroizing::new(vec![0u8; bytes]);
    random::fill(&mut buf, source)?;
    Ok(Zeroizing::new(hex::encode(&*buf)))
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Constant-time comparison of two hex digests.
pub fn digests_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[derive(Debug, PartialEq, Eq)]
pub enum TokenKind<'a> {
    ApiKey { key_id: &'a str, secret: &'a str },
    Session { secret: &'a str },
}

impl<'a> TokenKind<'a> {
    pub fn parse(token: &'a str) -> Option<Self> {
        if let Some(rest) = token.strip_prefix("fvk_") {
            let (key_id, secret) = rest.split_once('_')?;
            let ok = key_id.len() == 16 && secret.len() == 64;
            return ok.then_some(TokenKind::ApiKey { key_id, secret });
        }
        let secret = token.strip_prefix("fvs_")?;
        (secret.len() == 64).then_some(TokenKind::Session { secret })
    }
}

/// A new API key: the plaintext for the operator, and what the database keeps.
pub struct ApiKey {
    pub key_id: String,
    pub plaintext: Zeroizing<String>,
    pub secret_sha256: String,
}

impl ApiKey {
    /// Fails closed: without OS randomness there is no key, never a predictable one.
    pub fn generate() -> Result<Self, RandomnessUnavailable> {
        Self::generate_from(random::OS)
    }

    pub(crate) fn generate_from(source: Source) -> Result<Self, RandomnessUnavailable> {
        let key_id = random_hex(8, source)?.to_string();
        let secret = random_hex(32, source)?;
        let plaintext = Zeroizing::new(format!("fvk_{key_id}_{}", *secret));
        Ok(Self { secret_sha256: sha256_hex(&secret), key_id, plaintext })
    }
}

/// A new session token and its stored digest.
pub struct SessionToken {
    pub plaintext: Zeroizing<String>,
    pub sha256: String,
}

impl SessionToken {
    /// Fails closed, as [`ApiKey::generate`].
    pub fn generate() -> Result<Self, RandomnessUnavailable> {
        Self::generate_from(random::OS)
    }

    pub(crate) fn generate_from(source: Source) -> Result<Self, RandomnessUnavailable> {
        let secret = random_hex(32, source)?;
        Ok(Self { sha256: sha256_hex(&secret), plaintext: Zeroizing::new(format!("fvs_{}", *secret)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_hash_to_their_stored_digest() {
        let key = ApiKey::generate().expect("randomness");
        match TokenKind::parse(&key.plaintext) {
            Some(TokenKind::ApiKey { key_id, secret }) => {
                assert_eq!(key_id, key.key_id);
                assert!(digests_equal(&sha256_hex(secret), &key.secret_sha256));
            }
            other => panic!("{other:?}"),
        }
        let session = SessionToken::generate().expect("randomness");
        assert!(matches!(TokenKind::parse(&session.plaintext), Some(TokenKind::Session { .. })));
    }

    #[test]
    fn without_os_randomness_no_key_or_token_is_made() {
        assert_eq!(ApiKey::generate_from(random::broken).err(), Some(RandomnessUnavailable));
        assert_eq!(SessionToken::generate_from(random::broken).err(), Some(RandomnessUnavailable));
        let a = ApiKey::generate().expect("randomness");
        let b = ApiKey::generate().expect("randomness");
        assert_ne!(a.key_id, b.key_id);
        assert_ne!(*a.plaintext, *b.plaintext);
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for bad in ["", "fvk_", "fvk_abc_def", "fvs_short", "Basic abc", &format!("fvx_{}", "a".repeat(64))] {
            assert_eq!(TokenKind::parse(bad), None, "{bad}");
        }
        assert!(!digests_equal("ab", "abc"));
    }
}
