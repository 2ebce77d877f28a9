//! Leases: work that one replica at a time must do. `take` takes the named lease for `holder` when it is free,
//! expired or already its own, and extends it; the conditional update is atomic on both backends (PostgreSQL
//! re-checks the condition after a concurrent update commits; SQLite serialises writers), so two replicas never
//! both hold it.

use sqlx::AnyConnection;

use super::StoreError;

/// Takes or renews lease `name` for `holder` until `now_ms + ttl_ms`; `true` when `holder` holds it.
pub async fn take(
    conn: &mut AnyConnection,
    name: &str,
    holder: &str,
    now_ms: i64,
    ttl_ms: i64,
) -> Result<bool, StoreError> {
    let until = now_ms.saturating_add(ttl_ms);
    sqlx::query("INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(holder)
        .bind(until)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query(
        "UPDATE leases SET holder = $1, expires_at = $2 WHERE name = $3 AND (holder = $1 OR expires_at < $4)",
    )
    .bind(holder)
    .bind(until)
    .bind(name)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
