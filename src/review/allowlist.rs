//! The allowlist, kept by supervisors: a pair of subjects known not to be one person (twins), taken from a
//! duplicate case they cleared; the pair's mutual 1:N hits are not flagged from then on (crate::verification).
//! Adding, removing and listing are audited; the pair is stored as keyed pseudonyms, and listed by ids only.

use uuid::Uuid;

use super::{Review, ReviewError};
use crate::audit::{self, Action, Outcome};
use crate::auth::Principal;
use crate::domain::Purpose;
use crate::policy::Permission;
use crate::store::allowlist::{self, Entry};
use crate::store::cases::{self, CaseStatus};
use crate::store::StoreError;

impl Review {
    /// Pairs the subject of case `id` (a duplicate case closed as cleared) with the applicant it matched.
    pub async fn allowlist_case(
        &self,
        principal: &Principal,
        id: Uuid,
        purpose: Purpose,
    ) -> Result<Entry, ReviewError> {
        principal.require(Permission::SignOffFraud)?;
        let mut tx = self.store.begin_write().await?;
        let case = cases::get(&mut tx, id).await?;
        let other = match case.duplicate_verification_id {
            Some(v) if case.status == CaseStatus::Closed && case.outcome.as_deref() == Some("cleared") => v,
            _ => return Err(ReviewError::NotClearedDuplicate),
        };
        let other = match self.store.verification(other).await {
            Ok(v) => v.applicant_ref,
            Err(StoreError::NotFound) => return Err(ReviewError::Erased),
            Err(e) => return Err(e.into()),
        };
        let entry_id = Uuid::new_v4();
        let (a, b) = (tx.pseudonym(&case.subject_ref), tx.pseudonym(&other));
        match allowlist::insert(&mut tx, entry_id, id, &a, &b, &principal.actor).await {
            Err(StoreError::Conflict) => return Err(ReviewError::AlreadyListed),
            other => other?,
        }
        let event = principal.event(Action::AllowlistAdd, Some(purpose), Some(&case.subject_ref), Outcome::Success);
        let audited = audit::append(&mut tx, &event).await?;
        let listed = allowlist::list(&mut tx).await?.into_iter().find(|e| e.id == entry_id.to_string());
        tx.commit(audited).await?;
        listed.ok_or(ReviewError::Store(StoreError::NotFound))
    }

    /// Removes allowlist entry `id`: the pair's mutual hits are flagged again.
    pub async fn unallowlist(&self, principal: &Principal, id: Uuid, purpose: Purpose) -> Result<(), ReviewError> {
        principal.require(Permission::SignOffFraud)?;
        let mut tx = self.store.begin_write().await?;
        if !allowlist::delete(&mut tx, id).await? {
            return Err(ReviewError::NoSuchEntry);
        }
        let event = principal.event(Action::AllowlistRemove, Some(purpose), None, Outcome::Success);
        let audited = audit::append(&mut tx, &event).await?;
        tx.commit(audited).await?;
        Ok(())
    }

    /// Every allowlist entry (ids, who, when); the listing is audited.
    pub async fn allowlist(&self, principal: &Principal, purpose: Purpose) -> Result<Vec<Entry>, ReviewError> {
        principal.require(Permission::SignOffFraud)?;
        let mut tx = self.store.begin_write().await?;
        let entries = allowlist::list(&mut tx).await?;
        let audited =
            audit::append(&mut tx, &principal.event(Action::AllowlistList, Some(purpose), None, Outcome::Success))
                .await?;
        tx.commit(audited).await?;
        Ok(entries)
    }
}
