//! The outbox table.

use sqlx::{Row, SqliteConnection};

use super::CaseEvent;
use crate::store::StoreError;

/// Queues `event` inside the caller's transaction.
pub async fn enqueue(conn: &mut SqliteConnection, event: &CaseEvent) -> Result<(), StoreError> {
    let payload = serde_json::to_string(event).map_err(|_| StoreError::Corrupt("webhook payload"))?;
    sqlx::query("INSERT INTO webhook_outbox (event, payload, next_attempt_at) VALUES (?, ?, 0)")
        .bind(event.event.as_str())
        .bind(payload)
        .execute(conn)
        .await?;
    Ok(())
}

pub(super) struct Pending {
    pub id: i64,
    pub payload: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
}

/// The oldest undelivered events, in order (events that used up their attempts are skipped: dead letters).
pub(super) async fn oldest(conn: &mut SqliteConnection, max_attempts: i64) -> Result<Vec<Pending>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, payload, attempts, next_attempt_at FROM webhook_outbox
         WHERE delivered_at IS NULL AND attempts < ? ORDER BY id LIMIT 20",
    )
    .bind(max_attempts)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Pending {
                id: r.try_get("id")?,
                payload: r.try_get("payload")?,
                attempts: r.try_get("attempts")?,
                next_attempt_at: r.try_get("next_attempt_at")?,
            })
        })
        .collect()
}

pub(super) async fn delivered(conn: &mut SqliteConnection, id: i64, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE webhook_outbox SET delivered_at = ?, attempts = attempts + 1 WHERE id = ?")
        .bind(now_ms)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub(super) async fn failed(conn: &mut SqliteConnection, id: i64, next_ms: i64, error: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE webhook_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?")
        .bind(next_ms)
        .bind(error)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
