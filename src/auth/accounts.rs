//! Provisioning accounts and signing staff in.

use super::{hash_password, verify_password, ApiKey, SessionToken, Totp};
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
    Store(#[from] StoreError),
}

pub async fn create_service_account(store: &Store, name: &str) -> Result<ApiKey, AccountError> {
    valid_name(name)?;
    let key = ApiKey::generate();
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
    let totp = Totp::generate();
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

/// Lock a staff account after this many consecutive failures, for `base_secs` doubling with each further one.
#[derive(Debug, Clone, Copy)]
pub struct Lockout {
    pub threshold: i64,
    pub base_secs: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown user, wrong password, wrong or replayed code, or a locked account: one answer for all.
    #[error("invalid credentials")]
    Invalid,
    /// As `Invalid` to the caller; this failure reached the lockout threshold (a security event).
    #[error("invalid credentials")]
    LockedOut,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A staff member who passed both factors; the caller opens the session with its audit row.
pub struct Login {
    pub username: String,
    pub role: Role,
}

impl Login {
    /// A new session token and its expiry; store `token.sha256` with `store::access::insert_session`.
    pub fn new_session(&self, now: i64, ttl_secs: i64) -> (SessionToken, i64) {
        (SessionToken::generate(), now + ttl_secs)
    }
}

/// Password and TOTP, both required; a used TOTP step cannot be replayed.
pub async fn login(
    store: &Store,
    kek: &Kek,
    username: &str,
    password: String,
    code: &str,
    now: i64,
    lockout: Lockout,
) -> Result<Login, LoginError> {
    let Some(user) = store.staff(username).await? else {
        // Spend the same effort as for a real user, so timing does not reveal which usernames exist.
        let _ = tokio::task::spawn_blocking(move || verify_password(&password, DUMMY_HASH)).await;
        return Err(LoginError::Invalid);
    };
    if user.locked_until > now {
        return Err(LoginError::Invalid);
    }
    let stored = user.password_hash.clone();
    let password_ok = tokio::task::spawn_blocking(move || verify_password(&password, &stored)).await.unwrap_or(false);
    let seed = open_secret(kek, &user.totp_sealed, &totp_aad(username)).map_err(StoreError::Vault)?;
    let step = Totp::from_seed(seed.to_vec()).verify(code, u64::try_from(now).unwrap_or(0));
    let fresh = match (password_ok, step) {
        (true, Some(step)) => store.consume_totp_step(username, i64::try_from(step).unwrap_or(i64::MAX)).await?,
        _ => false,
    };
    if !fresh {
        let failures = store.record_failed_login(username, now, lockout.threshold, lockout.base_secs).await?;
        return Err(if failures == lockout.threshold { LoginError::LockedOut } else { LoginError::Invalid });
    }
    if user.failed_logins > 0 {
        store.reset_failed_logins(username).await?;
    }
    Ok(Login { username: user.username, role: user.role })
}

/// An argon2id hash of a random string, verified against when the username does not exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Wn3JZ3YJpPv3xV3s1Z8oX5o0Jb3E0m0yq0d8Xz6Q9kU";
