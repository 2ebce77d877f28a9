//! Every replica's gallery follows the sealed store: enrolments, erasures, withdrawals and retention sweeps made
//! by another replica on the same database (or by the `retention sweep` command beside a running service) reach
//! this one's memory within `gallery.sync_interval_ms`. Each pass lists the stored templates, opens those this
//! replica lacks and removes (zeroing) those no longer stored. The store is the one source of truth, so there is
//! no change feed to miss or to replay after a reconnect; the cost is one index query per pass (template and
//! verification ids: about 80 bytes a template, 8 MB a pass at 100,000 applicants).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::{load, Gallery};
use crate::store::{biometrics, Store, StoreError, Unaudited};
use crate::vault::Kek;

#[derive(Debug, Clone, Deserialize)]
pub struct GallerySettings {
    /// How often each replica brings its gallery in line with the store (milliseconds): the bound on how long
    /// another replica's enrolment goes unseen, and on how long an erased template stays in this one's memory.
    pub sync_interval_ms: u64,
    /// From this many templates on, 1:N search takes an 8-bit first pass and re-scores in f32 only the rows that
    /// might reach the bar: the same hits as exact search, fewer bytes read, a quarter more memory.
    pub int8_from: usize,
}

impl GallerySettings {
    pub fn validate(&self) -> Result<(), crate::config::Invalid> {
        if self.sync_interval_ms == 0 {
            return Err(crate::config::Invalid::new("sync_interval_ms", "must be at least 1"));
        }
        Ok(())
    }
}

/// What one pass changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub added: usize,
    pub removed: usize,
}

/// One pass. The gallery's own entries are listed before the store is read, so an enrolment this replica makes
/// meanwhile is never taken for a stale entry; adding is idempotent, so one made meanwhile is not added twice.
pub async fn sync(store: &Store, kek: &Kek, gallery: &Gallery) -> Result<SyncReport, StoreError> {
    let held = gallery.verification_ids();
    let mut conn = store.acquire().await?;
    let stored = biometrics::template_index(&mut conn, &gallery.space().model_sha256).await?;
    // Only counted while some are left (after a swap of the recognition model, until they are erased or expire).
    if gallery.other_model_templates() > 0 {
        let others = biometrics::count_other_models(&mut conn, &gallery.space().model_sha256).await?;
        gallery.set_other_model_templates(others);
    }
    drop(conn);
    let stored_ids: HashSet<_> = stored.iter().map(|t| t.verification_id).collect();
    let stale: Vec<_> = held.difference(&stored_ids).copied().collect();
    let removed = gallery.remove_verifications(&stale);
    gallery.retain_unopenable(&stored.iter().map(|t| t.id).collect());
    // A template that failed its integrity check raised its security event once; it is not retried every pass.
    let missing: Vec<_> = stored
        .iter()
        .filter(|t| !held.contains(&t.verification_id) && !gallery.is_unopenable(&t.id))
        .map(|t| t.id)
        .collect();
    let mut added = 0;
    if !missing.is_empty() {
        let mut tx = store.begin_write().await?;
        let rows = biometrics::templates_by_id(&mut tx, &missing).await?;
        let (opened, _failed) = load::open_into(&mut tx, kek, &rows, gallery).await?;
        tx.commit_unaudited(Unaudited::IntegrityScan).await?;
        added = opened;
    }
    gallery.mark_synced();
    Ok(SyncReport { added, removed })
}

/// Runs `sync` (and the blocklist's) every `interval` for the life of the process.
pub fn spawn(store: Store, kek: Arc<Kek>, gallery: Arc<Gallery>, blocklist: Arc<Gallery>, interval: Duration) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            if let Err(e) = super::sync_blocklist(&store, &kek, &blocklist).await {
                tracing::warn!(error = %e, "blocklist synchronisation failed");
            }
            match sync(&store, &kek, &gallery).await {
                Ok(report) if report != SyncReport::default() => {
                    tracing::info!(
                        added = report.added,
                        removed = report.removed,
                        "gallery synchronised with the store"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "gallery synchronisation failed"),
            }
        }
    });
}
