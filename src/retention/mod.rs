//! Retention (policy §7, §13): each kind of data is kept only as long as its purpose needs, then destroyed:
//! templates by deletion plus crypto-shredding of data keys no longer needed, crops of closed cases, old
//! verification records (with their cases), old audit rows (the chain is re-based so the rest still verifies).
//! Every sweep writes destruction records and an audit row in the same transaction; sweeps take the
//! audit log exclusively (`Store::begin_write`), so replicas may run them concurrently.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::audit::{self, Action, AuditEvent, Outcome};
use crate::store::{Store, StoreError};

#[derive(Debug, Clone, Deserialize)]
pub struct RetentionSettings {
    pub templates_days: i64,
    pub case_crops_days_after_close: i64,
    pub verifications_days: i64,
    pub audit_days: i64,
    /// Blocklist entries (a confirmed fraudster's sealed face) are kept this long after they were added.
    pub blocklist_days: i64,
    /// How often the server sweeps; 0 disables the background sweeper.
    pub sweep_interval_secs: u64,
}

impl RetentionSettings {
    pub fn validate(&self) -> Result<(), crate::config::Invalid> {
        let periods = [
            ("templates_days", self.templates_days),
            ("case_crops_days_after_close", self.case_crops_days_after_close),
            ("verifications_days", self.verifications_days),
            ("audit_days", self.audit_days),
            ("blocklist_days", self.blocklist_days),
        ];
        match periods.into_iter().find(|(_, days)| *days < 1) {
            Some((key, _)) => Err(crate::config::Invalid::new(key, "must be at least one day")),
            None => Ok(()),
        }
    }
}

#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct SweepReport {
    pub templates: u64,
    pub data_keys_shredded: u64,
    pub case_crops: u64,
    pub verifications: u64,
    /// Liveness sessions past the verifications' retention.
    pub liveness_sessions: u64,
    /// Sealed frames of passed liveness sessions no verification used within a day.
    pub liveness_frames: u64,
    pub audit_rows: u64,
    /// Blocklist entries past `blocklist_days` (each replica's in-memory list drops them at its next
    /// synchronisation pass).
    pub blocklist_entries: u64,
    pub expired_sessions: u64,
    pub delivered_notifications: u64,
    /// Verifications whose templates were destroyed (to drop from the in-memory gallery).
    #[serde(skip)]
    pub destroyed_templates_of: Vec<Uuid>,
}

fn cutoff(now: OffsetDateTime, days: i64) -> Result<String, StoreError> {
    crate::store::timestamp(now - Duration::days(days))
}

/// One sweep at `now`.
pub async fn sweep(
    store: &Store,
    settings: &RetentionSettings,
    now: OffsetDateTime,
) -> Result<SweepReport, StoreError> {
    let mut tx = store.begin_write().await?;
    let mut report = SweepReport::default();
    let templates_cutoff = cutoff(now, settings.templates_days)?;
    let expired = sqlx::query("SELECT verification_id FROM templates WHERE created_at < $1")
        .bind(&templates_cutoff)
        .fetch_all(&mut *tx)
        .await?;
    for row in &expired {
        let id: String = row.try_get("verification_id")?;
        report.destroyed_templates_of.extend(Uuid::parse_str(&id).ok());
    }
    let run = |sql: &'static str, cutoff: String| sqlx::query(sql).bind(cutoff);
    report.templates = run("DELETE FROM templates WHERE created_at < $1", templates_cutoff.clone())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    report.case_crops = run(
        "DELETE FROM case_crops WHERE case_id IN
             (SELECT id FROM cases WHERE status = 'closed' AND closed_at < $1)",
        cutoff(now, settings.case_crops_days_after_close)?,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    // A passed session's frame exists only for the verification that follows the capture: gone after a day.
    report.liveness_frames =
        crate::store::liveness::drop_stale_frames(&mut tx, &crate::store::timestamp(now - Duration::days(1))?).await?;
    report.liveness_sessions =
        crate::store::liveness::delete_created_before(&mut tx, &cutoff(now, settings.verifications_days)?).await?;
    report.verifications =
        run("DELETE FROM verifications WHERE created_at < $1", cutoff(now, settings.verifications_days)?)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    report.blocklist_entries =
        run("DELETE FROM blocklist WHERE created_at < $1", cutoff(now, settings.blocklist_days)?)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    // A data key with nothing left to open is destroyed: crypto-shredding.
    report.data_keys_shredded = sqlx::query(
        "DELETE FROM subject_keys WHERE subject_ref NOT IN (SELECT subject_ref FROM templates)
             AND subject_ref NOT IN (SELECT subject_ref FROM case_crops)
             AND subject_ref NOT IN (SELECT subject_ref FROM blocklist)
             AND subject_ref NOT IN (SELECT subject_ref FROM liveness_sessions WHERE best_frame IS NOT NULL)",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    report.audit_rows = audit::prune(&mut tx, &cutoff(now, settings.audit_days)?).await?;
    report.expired_sessions = sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(now.unix_timestamp())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let outbox_cutoff_ms = (now - Duration::days(30)).unix_timestamp() * 1000;
    report.delivered_notifications =
        sqlx::query("DELETE FROM webhook_outbox WHERE delivered_at IS NOT NULL AND delivered_at < $1")
            .bind(outbox_cutoff_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    let at = crate::store::timestamp(now)?;
    for (kind, count, days) in [
        ("templates", report.templates, settings.templates_days),
        ("data_keys", report.data_keys_shredded, settings.templates_days),
        ("case_crops", report.case_crops, settings.case_crops_days_after_close),
        ("verifications", report.verifications, settings.verifications_days),
        ("liveness_sessions", report.liveness_sessions, settings.verifications_days),
        ("liveness_frames", report.liveness_frames, 1),
        ("audit_rows", report.audit_rows, settings.audit_days),
        ("blocklist", report.blocklist_entries, settings.blocklist_days),
    ] {
        if count > 0 {
            sqlx::query("INSERT INTO destruction_log (at, kind, cutoff, count) VALUES ($1, $2, $3, $4)")
                .bind(&at)
                .bind(kind)
                .bind(cutoff(now, days)?)
                .bind(i64::try_from(count).unwrap_or(i64::MAX))
                .execute(&mut *tx)
                .await?;
        }
    }
    let event = AuditEvent {
        actor: "retention",
        role: "system",
        action: Action::RetentionSweep,
        purpose: None,
        subject_ref: None,
        result: Outcome::Success,
        request_id: None,
    };
    let audited = audit::append(&mut tx, &event).await?;
    tx.commit(audited).await?;
    // Shredded data keys and deleted rows must not survive in older log frames (SQLite).
    store.checkpoint_wal().await;
    Ok(report)
}

/// The server's periodic sweep; keeps the in-memory gallery in step with what it destroyed.
pub fn spawn(store: Store, settings: RetentionSettings, gallery: std::sync::Arc<crate::gallery::Gallery>) {
    if settings.sweep_interval_secs == 0 {
        return;
    }
    tokio::spawn(async move {
        let interval = std::time::Duration::from_secs(settings.sweep_interval_secs);
        loop {
            tokio::time::sleep(interval).await;
            match sweep(&store, &settings, OffsetDateTime::now_utc()).await {
                Ok(report) => {
                    gallery.remove_verifications(&report.destroyed_templates_of);
                    tracing::info!(
                        templates = report.templates,
                        verifications = report.verifications,
                        "retention sweep"
                    );
                }
                Err(e) => tracing::warn!(error = %e, "retention sweep failed"),
            }
        }
    });
}
