//! The stored failure count of staff accounts (see [`crate::auth::Lockout`]), written inside the transaction of the
//! sign-in's audit row. It refuses no one (that is the per-address limit's job, in the throttle): `locked_until`
//! is now the end of the quiet period after a `repeated_failed_logins` event. The same statements run for unknown
//! usernames (they change nothing), so a failure costs the same whether the account exists or not.

use sqlx::AnyConnection;

use super::StoreError;
use crate::auth::Lockout;

/// Counts a failed sign-in of `username` at `now`. Returns the quiet period's length in seconds when this failure
/// reached the threshold (the caller raises the security event). Failures during a quiet period are not counted
/// and do not extend it.
pub async fn record_failed_login(
    conn: &mut AnyConnection,
    username: &str,
    now: i64,
    lockout: Lockout,
) -> Result<Option<i64>, StoreError> {
    sqlx::query("UPDATE staff_users SET failed_logins = failed_logins + 1 WHERE username = $1 AND locked_until <= $2")
        .bind(username)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    // base << lockouts, capped; the shift is bounded so that it cannot overflow.
    let period = "($3 << CAST(CASE WHEN lockouts > 20 THEN 20 ELSE lockouts END AS INTEGER))";
    let locked_until: Option<i64> = sqlx::query_scalar(&format!(
        "UPDATE staff_users SET failed_logins = 0, lockouts = lockouts + 1,
             locked_until = $2 + CASE WHEN {period} > $4 THEN $4 ELSE {period} END
         WHERE username = $1 AND locked_until <= $2 AND failed_logins >= $5
         RETURNING locked_until"
    ))
    .bind(username)
    .bind(now)
    .bind(lockout.base_secs)
    .bind(lockout.max_secs)
    .bind(lockout.threshold)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(locked_until.map(|until| until - now))
}

/// After a successful sign-in: the failure count, quiet period and back-off start over.
pub async fn clear_failed_logins(conn: &mut AnyConnection, username: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE staff_users SET failed_logins = 0, locked_until = 0, lockouts = 0 WHERE username = $1")
        .bind(username)
        .execute(conn)
        .await?;
    Ok(())
}

/// An operator's unlock: clears the stored count and, through `unlocks`, the account's sign-in limits (per
/// username, and per username and address) in every replica's memory. False when there is no such enabled account.
pub async fn unlock(conn: &mut AnyConnection, username: &str) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE staff_users SET failed_logins = 0, locked_until = 0, lockouts = 0, unlocks = unlocks + 1
         WHERE username = $1 AND disabled_at IS NULL",
    )
    .bind(username)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
