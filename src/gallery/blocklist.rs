//! The blocklist in memory: the confirmed-fraud faces, held in a `Gallery` of their own (keyed by entry id where
//! the gallery keys by verification id), opened at start and brought in line with the `blocklist` table on every
//! gallery synchronisation pass, so an entry added or removed on another replica (or erased with its subject)
//! counts here within `gallery.sync_interval_ms`. The list is small (supervisors add entries one by one), so each
//! pass reads its ids and opens only the new ones.

use std::collections::HashSet;

use uuid::Uuid;

use super::{Gallery, SyncReport};
use crate::audit::{self, SecurityEvent, Severity};
use crate::domain::Purpose;
use crate::pipeline::TemplateSpace;
use crate::store::{biometrics, blocklist, Store, StoreError, Unaudited};
use crate::vault::{open_template, DataKey, Kek, TemplateBinding};

/// How an entry's template is bound: its entry id, the case's verification, the subject, anti-fraud, the model.
pub fn binding<'a>(entry_id: Uuid, verification_id: Uuid, subject: &'a str, model: &'a str) -> TemplateBinding<'a> {
    TemplateBinding { record_id: entry_id, verification_id, subject, purpose: Purpose::AntiFraud, model }
}

/// The blocklist read from the store at start: the entries of `space`'s model (a face listed under another model
/// cannot be compared with this one's templates).
pub async fn load_blocklist(store: &Store, kek: &Kek, space: &TemplateSpace) -> Result<Gallery, StoreError> {
    let list = Gallery::new(space.clone());
    sync_blocklist(store, kek, &list).await?;
    list.mark_loaded();
    tracing::info!(entries = list.len(), "blocklist loaded");
    Ok(list)
}

/// One pass: drops entries no longer stored, opens stored ones not yet held. An entry that does not open raises an
/// `aead_failure` security event once and is not retried.
pub async fn sync_blocklist(store: &Store, kek: &Kek, list: &Gallery) -> Result<SyncReport, StoreError> {
    let held = list.verification_ids();
    let mut conn = store.acquire().await?;
    let stored: HashSet<Uuid> = blocklist::ids(&mut conn, &list.space().model_sha256)
        .await?
        .iter()
        .filter_map(|id| Uuid::parse_str(id).ok())
        .collect();
    drop(conn);
    let stale: Vec<_> = held.difference(&stored).copied().collect();
    let removed = list.remove_verifications(&stale);
    list.retain_unopenable(&stored);
    let missing: Vec<_> = stored.iter().filter(|id| !held.contains(id) && !list.is_unopenable(id)).copied().collect();
    let mut added = 0;
    if !missing.is_empty() {
        let mut tx = store.begin_write().await?;
        for row in blocklist::sealed_by_id(&mut tx, &missing).await? {
            let (Ok(id), Ok(verification_id)) = (Uuid::parse_str(&row.id), Uuid::parse_str(&row.verification_id))
            else {
                continue;
            };
            let key = match biometrics::wrapped_key(&mut tx, &row.subject_ref).await? {
                Some(wrapped) => DataKey::unwrap(&wrapped, kek, &row.subject_ref).ok(),
                None => None,
            };
            let bound = binding(id, verification_id, &row.subject_ref, &row.model);
            let template = key.and_then(|key| open_template(&key, &row.sealed, &bound).ok());
            if template.is_some_and(|t| list.insert(&row.subject_ref, id, &t)) {
                added += 1;
            } else {
                list.add_unopenable([id]);
                let detail = format!("blocklist entry {id} failed its integrity check");
                audit::raise(&mut tx, SecurityEvent::AeadFailure, Severity::Critical, &detail).await?;
            }
        }
        tx.commit_unaudited(Unaudited::IntegrityScan).await?;
    }
    Ok(SyncReport { added, removed })
}
