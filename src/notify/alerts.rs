//! Security events as alerts (policy §11: breaches detected and reported). Every stored event, whoever raised it
//! (a request, the gallery load, a CLI check), is queued once for the webhook, oldest first, as `security.event`
//! with its id, kind, severity and time: the DPO reads the rest through `/v1/security/events`.

use serde::Serialize;
use sqlx::Row;

use super::outbox;
use crate::store::{now_rfc3339, Store, StoreError, Unaudited};

#[derive(Serialize)]
struct SecurityAlert {
    event: &'static str,
    event_id: i64,
    kind: String,
    severity: String,
    at: String,
}

/// Moves security events not yet alerted into the outbox; returns how many. Replicas take the audit log exclusively
/// for it (`Store::begin_write`), so each event is queued once.
pub(super) async fn queue_new(store: &Store) -> Result<usize, StoreError> {
    let mut conn = store.acquire().await?;
    let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM security_events WHERE alerted_at IS NULL")
        .fetch_one(&mut *conn)
        .await?;
    drop(conn);
    if waiting == 0 {
        return Ok(0);
    }
    let mut tx = store.begin_write().await?;
    let rows =
        sqlx::query("SELECT id, kind, severity, at FROM security_events WHERE alerted_at IS NULL ORDER BY id LIMIT 50")
            .fetch_all(&mut *tx)
            .await?;
    let now = now_rfc3339()?;
    for row in &rows {
        let alert = SecurityAlert {
            event: "security.event",
            event_id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            severity: row.try_get("severity")?,
            at: row.try_get("at")?,
        };
        let payload = serde_json::to_string(&alert).map_err(|_| StoreError::Corrupt("alert payload"))?;
        outbox::enqueue_payload(&mut tx, alert.event, &payload).await?;
        sqlx::query("UPDATE security_events SET alerted_at = $1 WHERE id = $2")
            .bind(&now)
            .bind(alert.event_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit_unaudited(Unaudited::AlertQueue).await?;
    Ok(rows.len())
}
