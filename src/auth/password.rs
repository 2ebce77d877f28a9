//! Staff passwords: argon2id with a random salt, PHC string format.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

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

/// As [`verify_password`]; `None` when `stored` is not a PHC string, so that no argon2 work was done.
pub(crate) fn check_password(password: &str, stored: &str) -> Option<bool> {
    let hash = PasswordHash::new(stored).ok()?;
    Some(Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
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
}
