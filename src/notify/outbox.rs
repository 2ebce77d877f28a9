//! The outbox table.

use sqlx::{AnyConnection, Row};

use super::{CaseEvent, RecaptureEvent};
use crate::store::StoreError;

/// Queues `event` inside the caller's transaction.
pub async fn enqueue(conn: &mut AnyConnection, event: &CaseEvent) -> Result<(), StoreError> {
    let payload = serde_json::to_string(event).map_err(|_| StoreError::Corrupt("webhook payload"))?;
    enqueue_payload(conn, event.event.as_str(), &payload).await
}

/// Queues a recapture request inside the caller's transaction.
pub async fn enqueue_recapture(conn: &mut AnyConnection, event: &RecaptureEvent) -> Result<(), StoreError> {
    let payload = serde_json::to_string(event).map_err(|_| StoreError::Corrupt("webhook payload"))?;
    enqueue_payload(conn, event.event.as_str(), &payload).await
}

pub(super) async fn enqueue_payload(conn: &mut AnyConnection, event: &str, payload: &str) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO webhook_outbox (event, payload, next_attempt_at) VALUES ($1, $2, 0)")
        .bind(event)
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
pub(super) async fn oldest(conn: &mut AnyConnection, max_attempts: i64) -> Result<Vec<Pending>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, payload, attempts, next_attempt_at FROM webhook_outbox
         WHERE delivered_at IS NULL AND attempts < $1 ORDER BY id LIMIT 20",
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

pub(super) async fn delivered(conn: &mut AnyConnection, id: i64, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE webhook_outbox SET delivered_at = $1, attempts = attempts + 1 WHERE id = $2")
        .bind(now_ms)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub(super) async fn failed(conn: &mut AnyConnection, id: i64, next_ms: i64, error: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE webhook_outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2 WHERE id = $3",
    )
    .bind(next_ms)
    .bind(error)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}
