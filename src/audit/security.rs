//! Security events (policy §11 breach detection): stored for the DPO and raised as error logs for alerting.
//! Details never carry personal or biometric data.

use sqlx::SqliteConnection;
use time::format_description::well_known::Rfc3339;
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
    /// A staff account reached the failed-login threshold and was locked.
    RepeatedFailedLogins,
}

impl SecurityEvent {
    fn as_str(self) -> &'static str {
        match self {
            SecurityEvent::AeadFailure => "aead_failure",
            SecurityEvent::AuditChainBreak => "audit_chain_break",
            SecurityEvent::RepeatedFailedLogins => "repeated_failed_logins",
        }
    }
}

pub async fn raise(
    conn: &mut SqliteConnection,
    event: SecurityEvent,
    severity: Severity,
    detail: &str,
) -> Result<(), StoreError> {
    let severity = match severity {
        Severity::Warning => "warning",
        Severity::Critical => "critical",
    };
    tracing::error!(security_event = event.as_str(), severity, detail, "security event");
    let at = OffsetDateTime::now_utc().format(&Rfc3339).map_err(|_| StoreError::Corrupt("clock"))?;
    sqlx::query("INSERT INTO security_events (at, kind, severity, detail) VALUES (?, ?, ?, ?)")
        .bind(at)
        .bind(event.as_str())
        .bind(severity)
        .bind(detail)
        .execute(conn)
        .await?;
    Ok(())
}
