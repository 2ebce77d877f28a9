//! Provisioning accounts and signing staff in.

use std::time::Instant;

use zeroize::Zeroizing;

use super::throttle::{LoginThrottle, Refusal};
use super::{hash_password, ApiKey, RandomnessUnavailable, SessionToken, Totp};
use crate::policy::Role;
use crate::store::{Store, StoreError};
use crate::vault::{open_secret, seal_secret, Kek};

/// What a staff member's TOTP seed is bound to when sealed under the KEK.
pub fn totp_aad(username: &str) -> String {
    format!("faceverify/totp/v1\0{username}")
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("invalid username (1-64 of a-z 0-9 . _ -)")]
    Username,
    #[error("staff roles are fraud_analyst, supervisor, dpo and auditor")]
    NotStaff,
    #[error("password must be at least 12 characters")]
    WeakPassword,
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Randomness(#[from] RandomnessUnavailable),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub async fn create_service_account(store: &Store, name: &str) -> Result<ApiKey, AccountError> {
    valid_name(name)?;
    let key = ApiKey::generate()?;
    store.insert_service_account(&key.key_id, name, &key.secret_sha256).await?;
    Ok(key)
}

/// Creates a staff user; returns the TOTP seed to enrol in an authenticator app (shown once).
pub async fn create_staff(
    store: &Store,
    kek: &Kek,
    username: &str,
    role: Role,
    password: &str,
) -> Result<Totp, AccountError> {
    valid_name(username)?;
    if !role.is_staff() {
        return Err(AccountError::NotStaff);
    }
    if password.chars().count() < 12 {
        return Err(AccountError::WeakPassword);
    }
    let hash = hash_password(password).map_err(AccountError::Internal)?;
    let totp = Totp::generate()?;
    let sealed =
        seal_secret(kek, totp.seed(), &totp_aad(username)).map_err(|e| AccountError::Internal(e.to_string()))?;
    store.insert_staff(username, role, &hash, &sealed).await?;
    Ok(totp)
}

fn valid_name(name: &str) -> Result<(), AccountError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    ok.then_some(()).ok_or(AccountError::Username)
}

/// The stored failure count of a staff account, which no longer refuses anyone: `threshold` consecutive failed
/// sign-ins (from any address) raise a `repeated_failed_logins` security event for the DPO, then failures are not
/// counted for `base_secs`, doubling with each further event since the last success or unlock, never longer than
/// `max_secs`. What refuses a guesser is the in-memory limit per username and client address (the throttle), so
/// an outsider locks only their own address out of the account, never its owner signing in from elsewhere.
#[derive(Debug, Clone, Copy)]
pub struct Lockout {
    pub threshold: i64,
    pub base_secs: i64,
    pub max_secs: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown user, disabled account, wrong password, wrong or replayed code: one answer for all, after
    /// the same work (one argon2 verification).
    #[error("invalid credentials")]
    Invalid,
    /// Refused before any credential was checked (rate limit or no free hashing slot).
    #[error("sign-in refused")]
    Refused(Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<Refusal> for LoginError {
    fn from(r: Refusal) -> Self {
        LoginError::Refused(r)
    }
}

/// One sign-in attempt.
pub struct Attempt<'a> {
    pub username: &'a str,
    pub password: Zeroizing<String>,
    pub code: &'a str,
    /// The client as the throttle keys it ([`LoginThrottle::client_key`]).
    pub client: &'a str,
}

/// A staff member who passed both factors; the caller opens the session with its audit row.
pub struct Login {
    pub username: String,
    pub role: Role,
    /// Failures or lockouts are on record, to be cleared with the session's audit row.
    pub had_failures: bool,
}

impl Login {
    /// A new session token and its expiry; store `token.sha256` with `store::access::insert_session`.
    pub fn new_session(&self, now: i64, ttl_secs: i64) -> Result<(SessionToken, i64), RandomnessUnavailable> {
        Ok((SessionToken::generate()?, now + ttl_secs))
    }
}

/// Password and TOTP, both required; a used TOTP step cannot be replayed. Throttled first (address, hashing slot,
/// username from this address, username); the caller records a failure with its audit row (`store::lockout::record_failed_login`).
pub async fn login(
    store: &Store,
    kek: &Kek,
    throttle: &LoginThrottle,
    attempt: Attempt<'_>,
    now: i64,
) -> Result<Login, LoginError> {
    let clock = Instant::now();
    let permit = throttle.admit_address(attempt.client, clock)?;
    let user = store.staff(attempt.username).await?;
    let unlocks = user.as_ref().map_or(0, |u| u.unlocks);
    throttle.admit_account(attempt.username, attempt.client, unlocks, clock)?;
    // The same argon2 work whoever asks: a stored hash, or for an unknown or disabled name one of the same cost.
    let stored = user.as_ref().map_or(DUMMY_HASH, |u| u.password_hash.as_str()).to_owned();
    let password_ok = permit.verify(attempt.password, stored).await;
    let Some(user) = user.filter(|_| password_ok) else {
        return Err(LoginError::Invalid);
    };
    let seed = open_secret(kek, &user.totp_sealed, &totp_aad(&user.username)).map_err(StoreError::Vault)?;
    let Some(step) = Totp::from_seed(seed.to_vec()).verify(attempt.code, u64::try_from(now).unwrap_or(0)) else {
        return Err(LoginError::Invalid);
    };
    if !store.consume_totp_step(&user.username, i64::try_from(step).unwrap_or(i64::MAX)).await? {
        return Err(LoginError::Invalid);
    }
    throttle.succeeded(attempt.client, attempt.username, clock);
    let had_failures = user.failed_logins > 0 || user.lockouts > 0;
    Ok(Login { username: user.username, role: user.role, had_failures })
}

/// An argon2id hash (of a random password) with the parameters `hash_password` uses, verified against when the
/// username does not exist or is disabled.
pub(crate) const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Wn3JZ3YJpPv3xV3s1Z8oX5o0Jb3E0m0yq0d8Xz6Q9kU";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        let real = super::super::hash_password("a password of twelve").expect("hash");
        let params = |phc: &str| phc.split('$').nth(3).map(str::to_owned);
        assert_eq!(params(DUMMY_HASH), params(&real), "same argon2 parameters");
        assert_eq!(super::super::password::check_password("guess", DUMMY_HASH), Some(false), "argon2 runs");
    }
}
