//! Ending access at once: revoking an API key, disabling a staff account together with its sessions.

use sqlx::AnyConnection;

use super::{now_rfc3339, StoreError};

/// Revokes an API key: its next request is refused. False when no active key has this id.
pub async fn revoke_key(conn: &mut AnyConnection, key_id: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE service_accounts SET revoked_at = $1 WHERE key_id = $2 AND revoked_at IS NULL")
        .bind(now_rfc3339()?)
        .bind(key_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Disables a staff account and deletes its sessions in the caller's transaction; returns the number of sessions
/// ended, or `None` when there is no such enabled account.
pub async fn disable_staff(conn: &mut AnyConnection, username: &str) -> Result<Option<u64>, StoreError> {
    let done = sqlx::query("UPDATE staff_users SET disabled_at = $1 WHERE username = $2 AND disabled_at IS NULL")
        .bind(now_rfc3339()?)
        .bind(username)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    let ended = sqlx::query("DELETE FROM sessions WHERE username = $1").bind(username).execute(conn).await?;
    Ok(Some(ended.rows_affected()))
}
