//! Service accounts, staff users and sessions.

use sqlx::AnyConnection;

use super::{now_rfc3339, Store, StoreError};
use crate::policy::Role;

pub struct ServiceAccount {
    pub name: String,
    pub role: Role,
    pub secret_sha256: String,
}

pub struct StaffRecord {
    pub username: String,
    pub failed_logins: i64,
    pub locked_until: i64,
    pub role: Role,
    pub password_hash: String,
    pub totp_sealed: Vec<u8>,
    pub totp_last_step: i64,
    /// Lockouts since the last success or unlock: the next one lasts longer (up to the cap).
    pub lockouts: i64,
    /// Operator unlocks so far; a change resets the in-memory per-username limit of every replica.
    pub unlocks: i64,
}

pub struct SessionRecord {
    pub username: String,
    pub role: Role,
    pub expires_at: i64,
}

fn role(stored: &str) -> Result<Role, StoreError> {
    Role::parse(stored).ok_or(StoreError::Corrupt("role"))
}

#[derive(sqlx::FromRow)]
struct ServiceAccountRow {
    name: String,
    role: String,
    secret_sha256: String,
}

#[derive(sqlx::FromRow)]
struct StaffRow {
    username: String,
    role: String,
    password_hash: String,
    totp_sealed: Vec<u8>,
    totp_last_step: i64,
    failed_logins: i64,
    locked_until: i64,
    lockouts: i64,
    unlocks: i64,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    username: String,
    role: String,
    expires_at: i64,
}

impl TryFrom<ServiceAccountRow> for ServiceAccount {
    type Error = StoreError;

    fn try_from(r: ServiceAccountRow) -> Result<Self, StoreError> {
        Ok(Self { role: role(&r.role)?, name: r.name, secret_sha256: r.secret_sha256 })
    }
}

impl TryFrom<StaffRow> for StaffRecord {
    type Error = StoreError;

    fn try_from(r: StaffRow) -> Result<Self, StoreError> {
        Ok(Self {
            role: role(&r.role)?,
            username: r.username,
            failed_logins: r.failed_logins,
            locked_until: r.locked_until,
            password_hash: r.password_hash,
            totp_sealed: r.totp_sealed,
            totp_last_step: r.totp_last_step,
            lockouts: r.lockouts,
            unlocks: r.unlocks,
        })
    }
}

impl TryFrom<SessionRow> for SessionRecord {
    type Error = StoreError;

    fn try_from(r: SessionRow) -> Result<Self, StoreError> {
        Ok(Self { role: role(&r.role)?, username: r.username, expires_at: r.expires_at })
    }
}

impl Store {
    pub async fn insert_service_account(
        &self,
        key_id: &str,
        name: &str,
        secret_sha256: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO service_accounts (key_id, name, secret_sha256, role, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(key_id)
        .bind(name)
        .bind(secret_sha256)
        .bind(Role::Onboarding.as_str())
        .bind(now_rfc3339()?)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn service_account(&self, key_id: &str) -> Result<Option<ServiceAccount>, StoreError> {
        let row = sqlx::query_as::<_, ServiceAccountRow>(
            "SELECT name, role, secret_sha256 FROM service_accounts WHERE key_id = $1 AND revoked_at IS NULL",
        )
        .bind(key_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(ServiceAccount::try_from).transpose()
    }

    pub async fn insert_staff(
        &self,
        username: &str,
        role: Role,
        password_hash: &str,
        totp_sealed: &[u8],
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO staff_users (username, role, password_hash, totp_sealed, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(username)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(totp_sealed)
        .bind(now_rfc3339()?)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn staff(&self, username: &str) -> Result<Option<StaffRecord>, StoreError> {
        let row = sqlx::query_as::<_, StaffRow>(
            "SELECT username, role, password_hash, totp_sealed, totp_last_step, failed_logins, locked_until, lockouts,
                 unlocks
             FROM staff_users WHERE username = $1 AND disabled_at IS NULL",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        row.map(StaffRecord::try_from).transpose()
    }

    /// Records a used TOTP step; false when it was already used (a replayed code).
    pub async fn consume_totp_step(&self, username: &str, step: i64) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE staff_users SET totp_last_step = $1 WHERE username = $2 AND totp_last_step < $3")
                .bind(step)
                .bind(username)
                .bind(step)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A live session of an enabled account, its idle expiry slid forward to `new_expiry` but never past
    /// `max_lifetime_secs` after it was opened.
    pub async fn touch_session(
        &self,
        token_sha256: &str,
        now: i64,
        new_expiry: i64,
        max_lifetime_secs: i64,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query_as::<_, SessionRow>(
            "UPDATE sessions SET expires_at = CASE WHEN $1 < created_at + $4 THEN $1 ELSE created_at + $4 END
             WHERE token_sha256 = $2 AND expires_at > $3 AND created_at + $4 > $3
               AND username IN (SELECT username FROM staff_users WHERE disabled_at IS NULL)
             RETURNING username, role, expires_at",
        )
        .bind(new_expiry)
        .bind(token_sha256)
        .bind(now)
        .bind(max_lifetime_secs)
        .fetch_optional(&self.pool)
        .await?;
        row.map(SessionRecord::try_from).transpose()
    }
}

/// Inside the caller's transaction, with the login's audit row.
pub async fn insert_session(
    conn: &mut AnyConnection,
    token_sha256: &str,
    username: &str,
    role: Role,
    created_at: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sessions (token_sha256, username, role, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_sha256)
    .bind(username)
    .bind(role.as_str())
    .bind(created_at)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Inside the caller's transaction, with the logout's audit row.
pub async fn delete_session(conn: &mut AnyConnection, token_sha256: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE token_sha256 = $1").bind(token_sha256).execute(conn).await?;
    Ok(())
}
