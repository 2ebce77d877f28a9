//! Security events (policy §11 breach detection): stored for the DPO, logged at error level, and delivered to the
//! webhook as `security.event` alerts when one is configured (notify::alerts).
//! Details never carry applicants' personal data or biometric data; they may name a staff account (a lockout, an
//! access burst), which the DPO needs to act on. Webhook alerts carry no details.

use sqlx::AnyConnection;
use time::OffsetDateTime;

use crate::store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Warning,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityEvent {
    /// A sealed record failed its AEAD check: ciphertext or binding altered.
    AeadFailure,
    /// The audit chain is broken: a row was edited, deleted or reordered.
    AuditChainBreak,
    /// A staff account reached the failed-login threshold and was locked (the detail names it).
    RepeatedFailedLogins,
    /// One user viewed crops or exported the audit log unusually often.
    AccessBurst,
    /// The service keys were created for a database that already had audit rows (only by the operator's
    /// `audit adopt-legacy`): expected once, on upgrade; otherwise someone removed the keys (the earlier rows then
    /// verify only as the legacy, unkeyed chain). Critical.
    ServiceKeysCreated,
    /// A liveness session ended failed with signs of an attack (replayed frames, a still picture, another face
    /// mid-stream, impossible times). The detail names the session, never the applicant.
    LivenessAttack,
}

impl SecurityEvent {
    fn as_str(self) -> &'static str {
        match self {
            SecurityEvent::AeadFailure => "aead_failure",
            SecurityEvent::AuditChainBreak => "audit_chain_break",
            SecurityEvent::RepeatedFailedLogins => "repeated_failed_logins",
            SecurityEvent::AccessBurst => "access_burst",
            SecurityEvent::ServiceKeysCreated => "service_keys_created",
            SecurityEvent::LivenessAttack => "liveness_attack",
        }
    }
}

pub async fn raise(
    conn: &mut AnyConnection,
    event: SecurityEvent,
    severity: Severity,
    detail: &str,
) -> Result<(), StoreError> {
    let severity = match severity {
        Severity::Warning => "warning",
        Severity::Critical => "critical",
    };
    // The detail may name a staff account: it stays in the database for the DPO; the log gets the kind only.
    tracing::error!(security_event = event.as_str(), severity, "security event");
    let at = crate::store::now_rfc3339()?;
    sqlx::query("INSERT INTO security_events (at, kind, severity, detail) VALUES ($1, $2, $3, $4)")
        .bind(at)
        .bind(event.as_str())
        .bind(severity)
        .bind(detail)
        .execute(conn)
        .await?;
    Ok(())
}

/// A stored security event, as the DPO sees it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct StoredEvent {
    pub id: i64,
    pub at: String,
    pub kind: String,
    pub severity: String,
    pub detail: String,
}

/// Events at or after `since` (RFC 3339), oldest first.
pub async fn events_since(conn: &mut AnyConnection, since: &str, limit: i64) -> Result<Vec<StoredEvent>, StoreError> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT id, at, kind, severity, detail FROM security_events
         WHERE at >= $1 ORDER BY id LIMIT $2",
    )
    .bind(since)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StoredEvent {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                kind: r.try_get("kind")?,
                severity: r.try_get("severity")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect()
}

/// After `actor` viewed a crop or exported the audit log: when such accesses within `window_secs` exceed
/// `threshold`, raises one `access_burst` event for that window.
pub async fn check_access_burst(
    conn: &mut AnyConnection,
    actor: &str,
    threshold: i64,
    window_secs: i64,
) -> Result<(), StoreError> {
    use sqlx::Row;
    let since = crate::store::timestamp(OffsetDateTime::now_utc() - time::Duration::seconds(window_secs))?;
    let row = sqlx::query(
        "SELECT
            (SELECT COUNT(*) FROM audit_log WHERE actor = $1
                 AND action IN ('view_crop', 'export_audit', 'export_evidence') AND at >= $2) AS accesses,
            (SELECT COUNT(*) FROM security_events WHERE kind = 'access_burst' AND detail = $3
                 AND at >= $2) AS raised",
    )
    .bind(actor)
    .bind(&since)
    .bind(burst_detail(actor))
    .fetch_one(&mut *conn)
    .await?;
    let (accesses, raised): (i64, i64) = (row.try_get("accesses")?, row.try_get("raised")?);
    if accesses > threshold && raised == 0 {
        raise(conn, SecurityEvent::AccessBurst, Severity::Warning, &burst_detail(actor)).await?;
    }
    Ok(())
}

fn burst_detail(actor: &str) -> String {
    format!("staff user {actor} exceeded the crop-view/export rate")
}
