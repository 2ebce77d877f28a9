//! Case work that leaves the case open: analysts' notes, and asking the onboarding flow for a new capture (a
//! webhook event carrying the case and verification ids only). Both audited, in the transaction that does them.

use uuid::Uuid;

use super::{Review, ReviewError};
use crate::audit::{self, Action, Outcome};
use crate::auth::Principal;
use crate::domain::Purpose;
use crate::policy::Permission;
use crate::store::case_notes::{self, CaseNote};
use crate::store::cases;

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;

impl Review {
    /// Adds a note to case `id` (open or closed): 1 to `MAX_NOTE_CHARS` characters, not only blanks.
    pub async fn add_note(
        &self,
        principal: &Principal,
        id: Uuid,
        text: &str,
        purpose: Purpose,
    ) -> Result<CaseNote, ReviewError> {
        principal.require(Permission::DecideCase)?;
        if text.trim().is_empty() || text.chars().count() > MAX_NOTE_CHARS {
            return Err(ReviewError::InvalidNote);
        }
        let mut tx = self.store.begin_write().await?;
        let case = cases::get(&mut tx, id).await?;
        let note = case_notes::insert(&mut tx, id, &principal.actor, text).await?;
        let event = principal.event(Action::AddCaseNote, Some(purpose), Some(&case.subject_ref), Outcome::Success);
        let audited = audit::append(&mut tx, &event).await?;
        tx.commit(audited).await?;
        Ok(note)
    }

    /// Asks the onboarding flow for a new capture of case `id`'s applicant: audited, and queued for the webhook
    /// (when one is set) as `case.recapture_requested`. The case stays as it is. Returns its verification id.
    pub async fn request_recapture(
        &self,
        principal: &Principal,
        id: Uuid,
        purpose: Purpose,
    ) -> Result<Uuid, ReviewError> {
        principal.require(Permission::DecideCase)?;
        let mut tx = self.store.begin_write().await?;
        let case = cases::get(&mut tx, id).await?;
        if case.status == cases::CaseStatus::Closed {
            return Err(ReviewError::CaseClosed);
        }
        let event = principal.event(Action::RequestRecapture, Some(purpose), Some(&case.subject_ref), Outcome::Success);
        let audited = audit::append(&mut tx, &event).await?;
        if self.webhook {
            let event = crate::notify::RecaptureEvent::new(id, case.verification_id);
            crate::notify::enqueue_recapture(&mut tx, &event).await?;
        }
        tx.commit(audited).await?;
        Ok(case.verification_id)
    }
}
