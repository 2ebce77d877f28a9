//! Staff passwords: argon2id with a random salt, PHC string format.

use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::random;

/// Fails closed (an error, no hash) when the OS gives no randomness for the salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    random::fill(&mut salt, random::OS).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Constant-time inside argon2; a malformed stored hash simply fails.
pub fn verify_password(password: &str, stored: &str) -> bool {
    check_password(password, stored) == Some(true)
}

/// As [`verify_password`]; `None` when `stored` is not an argon2 PHC string, so that no argon2 work was done.
pub(crate) fn check_password(password: &str, stored: &str) -> Option<bool> {
    check_password_in(password, stored, &mut Vec::new())
}

/// As [`check_password`], in working memory the caller keeps between checks (grown to the hash's memory cost).
/// argon2's own verification allocates and frees its 19 MiB each time; under load that churn fragments the heap
/// and the process keeps the memory. Reusing one buffer per concurrent check keeps it at that.
pub(crate) fn check_password_in(password: &str, stored: &str, memory: &mut Vec<Block>) -> Option<bool> {
    let hash = PasswordHash::new(stored).ok()?;
    let (salt, expected) = (hash.salt?, hash.hash?);
    let algorithm = Algorithm::try_from(hash.algorithm).ok()?;
    let version = hash.version.map(Version::try_from).transpose().ok()?.unwrap_or_default();
    let params = Params::try_from(&hash).ok()?;
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes).ok()?;
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
    let mut computed = Zeroizing::new(vec![0u8; expected.len()]);
    let argon2 = Argon2::new(algorithm, version, params);
    argon2.hash_password_into_with_memory(password.as_bytes(), salt, &mut computed, &mut memory[..]).ok()?;
    Some(bool::from(computed.as_slice().ct_eq(expected.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_password_verifies_wrong_one_does_not() {
        let stored = hash_password("correct horse").expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &stored));
        assert!(!verify_password("correct hors", &stored));
        assert!(!verify_password("x", "not a hash"));
        assert_eq!(check_password("x", "not a hash"), None);
        assert_ne!(hash_password("correct horse").expect("hash"), stored, "a fresh salt each time");
    }

    #[test]
    fn reused_working_memory_agrees_with_argon2s_own_verification() {
        use argon2::password_hash::PasswordVerifier;
        let stored = hash_password("correct horse").expect("hash");
        let mut memory = Vec::new();
        for guess in ["correct horse", "correct hors", "", "correct horse "] {
            let theirs = Argon2::default().verify_password(guess.as_bytes(), &PasswordHash::new(&stored).expect("phc"));
            assert_eq!(check_password_in(guess, &stored, &mut memory), Some(theirs.is_ok()), "{guess:?}");
        }
        assert_eq!(memory.len(), 19456, "m = 19 MiB, allocated once");
        let small = "$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$ZWM1pYA6DZ9qd5ncb2UHQQjDPPW2QXZMCS3pS1ExbEM";
        assert!(check_password_in("x", small, &mut memory).is_some(), "a smaller cost runs in the same memory");
    }
}
