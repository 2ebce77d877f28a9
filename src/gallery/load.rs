//! Building the gallery from the sealed store at start.

use std::collections::HashMap;

use super::Gallery;
use crate::audit::{self, SecurityEvent, Severity};
use crate::pipeline::TemplateSpace;
use crate::store::{biometrics, Store, StoreError, Unaudited, WriteTx};
use crate::vault::{open_template, DataKey, Kek, TemplateBinding};

/// Opens every sealed template of `space`'s model of every subject that still has a data key. A template that
/// fails its integrity check is left out, raises a security event and keeps the service not ready (1:N search
/// would miss that face). Templates of another model are counted and left sealed. From `int8_from` templates on,
/// searches take the 8-bit first pass (`Gallery::with_int8_from`).
pub async fn load(store: &Store, kek: &Kek, space: &TemplateSpace, int8_from: usize) -> Result<Gallery, StoreError> {
    let gallery = Gallery::with_int8_from(space.clone(), int8_from);
    let mut tx = store.begin_write().await?;
    let rows = biometrics::templates_of_model(&mut tx, &space.model_sha256).await?;
    let others = biometrics::count_other_models(&mut tx, &space.model_sha256).await?;
    let (_, failed) = open_into(&mut tx, kek, &rows, &gallery).await?;
    tx.commit_unaudited(Unaudited::IntegrityScan).await?;
    gallery.set_other_model_templates(others);
    gallery.mark_loaded();
    gallery.mark_synced();
    tracing::info!(templates = gallery.len(), failed, "gallery loaded");
    if others > 0 {
        tracing::warn!(
            templates = others,
            "stored templates come from another recognition model and are not searched: 1:N search misses those \
             applicants until they verify again (docs/accuracy.md, swapping the recognition model)"
        );
    }
    Ok(gallery)
}

/// Opens `rows` (templates of the gallery's model) into `gallery`; returns how many opened and how many failed their
/// integrity check (each raising a security event in `tx`, and recorded in the gallery as unopenable).
pub(super) async fn open_into(
    tx: &mut WriteTx,
    kek: &Kek,
    rows: &[biometrics::SealedRow],
    gallery: &Gallery,
) -> Result<(usize, usize), StoreError> {
    let mut keys: HashMap<String, Option<DataKey>> = HashMap::new();
    let (mut opened, mut failed) = (0usize, 0usize);
    for row in rows {
        if !keys.contains_key(&row.subject_ref) {
            let key = match biometrics::wrapped_key(tx, &row.subject_ref).await? {
                Some(wrapped) => DataKey::unwrap(&wrapped, kek, &row.subject_ref).ok(),
                None => None,
            };
            keys.insert(row.subject_ref.clone(), key);
        }
        let binding = TemplateBinding {
            record_id: row.id,
            verification_id: row.verification_id,
            subject: &row.subject_ref,
            purpose: row.purpose,
            model: &row.model,
        };
        let template = keys[&row.subject_ref].as_ref().and_then(|key| open_template(key, &row.sealed, &binding).ok());
        // A template that opens under the gallery's model but has another length was sealed wrong: as good as
        // tampered.
        match template {
            Some(t) if gallery.insert(&row.subject_ref, row.verification_id, &t) => opened += 1,
            _ => {
                failed += 1;
                gallery.add_unopenable([row.id]);
                let detail = format!("template {} failed its integrity check while loading the gallery", row.id);
                audit::raise(tx, SecurityEvent::AeadFailure, Severity::Critical, &detail).await?;
            }
        }
    }
    Ok((opened, failed))
}
