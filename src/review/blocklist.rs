//! The blocklist, kept by supervisors: the selfie template of a case closed as confirmed fraud, re-sealed under the
//! subject's data key for an entry of its own; later verifications whose selfie or document portrait matches it
//! get `blocklisted_face` (crate::verification). Adding, removing and listing are audited; listings carry ids,
//! reason, who and when, never a template.

use uuid::Uuid;

use super::{Review, ReviewError};
use crate::audit::{self, Action, Outcome, SecurityEvent, Severity};
use crate::auth::Principal;
use crate::domain::Purpose;
use crate::gallery::blocklist_binding;
use crate::policy::Permission;
use crate::store::blocklist::{self, Entry, NewEntry};
use crate::store::cases::{self, CaseStatus};
use crate::store::{biometrics, StoreError, Unaudited};
use crate::vault::{open_template, seal_template, DataKey, TemplateBinding};

/// Why an entry is on the list (the only reason so far).
pub const CONFIRMED_FRAUD: &str = "confirmed_fraud";

/// A blocklist or allowlist entry id from a path segment; anything else is an unknown entry.
pub fn entry_id(raw: &str) -> Result<Uuid, ReviewError> {
    Uuid::parse_str(raw).map_err(|_| ReviewError::NoSuchEntry)
}

impl Review {
    /// Puts the selfie face of case `id` (closed as confirmed fraud) on the blocklist; returns the entry.
    pub async fn blocklist_case(
        &self,
        principal: &Principal,
        id: Uuid,
        purpose: Purpose,
    ) -> Result<Entry, ReviewError> {
        principal.require(Permission::SignOffFraud)?;
        let mut tx = self.store.begin_write().await?;
        let case = cases::get(&mut tx, id).await?;
        if case.status != CaseStatus::Closed || case.outcome.as_deref() != Some("confirmed_fraud") {
            return Err(ReviewError::NotConfirmedFraud);
        }
        let subject = case.subject_ref.as_str();
        let row = biometrics::template_of(&mut tx, case.verification_id).await?.ok_or(ReviewError::Erased)?;
        let wrapped = biometrics::wrapped_key(&mut tx, subject).await?.ok_or(ReviewError::Erased)?;
        let entry_id = Uuid::new_v4();
        let stored = TemplateBinding {
            record_id: row.id,
            verification_id: row.verification_id,
            subject,
            purpose: row.purpose,
            model: &row.model,
        };
        let entry = blocklist_binding(entry_id, case.verification_id, subject, &row.model);
        let opened = DataKey::unwrap(&wrapped, &self.kek, subject).and_then(|key| {
            let template = open_template(&key, &row.sealed, &stored)?;
            Ok((seal_template(&key, &template, &entry)?, template))
        });
        let Ok((sealed, template)) = opened else {
            let detail = format!("the template of case {id} failed its integrity check");
            audit::raise(&mut tx, SecurityEvent::AeadFailure, Severity::Critical, &detail).await?;
            tx.commit_unaudited(Unaudited::SecurityEventOnly).await?;
            return Err(ReviewError::Integrity);
        };
        let new = NewEntry {
            id: entry_id,
            case_id: id,
            verification_id: case.verification_id,
            subject_ref: subject,
            sealed: &sealed,
            reason: CONFIRMED_FRAUD,
            added_by: &principal.actor,
            model: &row.model,
        };
        match blocklist::insert(&mut tx, &new).await {
            Err(StoreError::Conflict) => return Err(ReviewError::AlreadyListed),
            other => other?,
        }
        let event = principal.event(Action::BlocklistAdd, Some(purpose), Some(subject), Outcome::Success);
        let audited = audit::append(&mut tx, &event).await?;
        let listed = blocklist::list(&mut tx).await?.into_iter().find(|e| e.id == entry_id.to_string());
        tx.commit(audited).await?;
        // A face enrolled under a recognition model used before is listed under it, and compared with nothing now.
        if row.model == self.blocklist.space().model_sha256 {
            self.blocklist.insert(subject, entry_id, &template);
        }
        listed.ok_or(ReviewError::Store(StoreError::NotFound))
    }

    /// Removes entry `id`: later verifications are no longer flagged by it (other replicas within a sync pass).
    pub async fn unblocklist(&self, principal: &Principal, id: Uuid, purpose: Purpose) -> Result<(), ReviewError> {
        principal.require(Permission::SignOffFraud)?;
        let mut tx = self.store.begin_write().await?;
        let subject = blocklist::subject_of(&mut tx, id).await?.ok_or(ReviewError::NoSuchEntry)?;
        blocklist::delete(&mut tx, id).await?;
        let event = principal.event(Action::BlocklistRemove, Some(purpose), Some(&subject), Outcome::Success);
        let audited = audit::append(&mut tx, &event).await?;
        tx.commit(audited).await?;
        self.blocklist.remove_verifications(&[id]);
        Ok(())
    }

    /// Every entry (ids, reason, who, when); the listing is audited.
    pub async fn blocklist(&self, principal: &Principal, purpose: Purpose) -> Result<Vec<Entry>, ReviewError> {
        principal.require(Permission::SignOffFraud)?;
        let mut tx = self.store.begin_write().await?;
        let entries = blocklist::list(&mut tx).await?;
        let audited =
            audit::append(&mut tx, &principal.event(Action::BlocklistList, Some(purpose), None, Outcome::Success))
                .await?;
        tx.commit(audited).await?;
        Ok(entries)
    }
}
