//! Assigning a case and deciding it: `clear` closes an open case, `confirm_fraud` waits for a supervisor other than
//! the proposer to sign it off (or clear it). Audited, and sent to the webhook, in the same transaction.

use serde::Deserialize;
use uuid::Uuid;

use super::{Review, ReviewError};
use crate::audit::{self, Action, Outcome};
use crate::auth::Principal;
use crate::domain::Purpose;
use crate::policy::Permission;
use crate::store::cases::{self, Case, CaseStatus};

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseOutcome {
    ConfirmFraud,
    Clear,
}

impl Review {
    /// Assigns case `id` to `analyst` (default: the caller); only supervisors assign to others. Returns the analyst.
    pub async fn assign(
        &self,
        principal: &Principal,
        id: Uuid,
        analyst: Option<String>,
        purpose: Purpose,
    ) -> Result<String, ReviewError> {
        principal.require(Permission::AssignCase)?;
        let analyst = analyst.unwrap_or_else(|| principal.actor.clone());
        if analyst != principal.actor && !crate::policy::permits(principal.role, Permission::SignOffFraud) {
            return Err(ReviewError::AssignToOthers);
        }
        let mut tx = self.store.begin_write().await?;
        let case = cases::get(&mut tx, id).await?;
        if !cases::assign(&mut tx, id, &analyst).await? {
            return Err(ReviewError::CaseClosed);
        }
        let event = principal.event(Action::AssignCase, Some(purpose), Some(&case.subject_ref), Outcome::Success);
        let audited = audit::append(&mut tx, &event).await?;
        tx.commit(audited).await?;
        Ok(analyst)
    }

    /// Decides case `id` (see the module comment); returns the case as it now stands.
    pub async fn decide(
        &self,
        principal: &Principal,
        id: Uuid,
        outcome: CaseOutcome,
        comment: &str,
        purpose: Purpose,
    ) -> Result<Case, ReviewError> {
        principal.require(Permission::DecideCase)?;
        if comment.trim().is_empty() || comment.len() > 2000 {
            return Err(ReviewError::InvalidComment);
        }
        let mut tx = self.store.begin_write().await?;
        let case = cases::get(&mut tx, id).await?;
        let stored_outcome = match outcome {
            CaseOutcome::ConfirmFraud => "confirmed_fraud",
            CaseOutcome::Clear => "cleared",
        };
        let (done, action) = match case.status {
            CaseStatus::Open => {
                let to = if outcome == CaseOutcome::Clear { CaseStatus::Closed } else { CaseStatus::PendingSignoff };
                (cases::propose(&mut tx, id, stored_outcome, to, &principal.actor, comment).await?, Action::DecideCase)
            }
            CaseStatus::PendingSignoff => {
                principal.require(Permission::SignOffFraud)?;
                if case.proposed_by.as_deref() == Some(principal.actor.as_str()) {
                    return Err(ReviewError::SecondPersonRequired);
                }
                (cases::sign_off(&mut tx, id, stored_outcome, &principal.actor, comment).await?, Action::SignOffCase)
            }
            CaseStatus::Closed => (false, Action::DecideCase),
        };
        if !done {
            return Err(ReviewError::CaseClosed);
        }
        let event = principal.event(action, Some(purpose), Some(&case.subject_ref), Outcome::Success);
        let audited = audit::append(&mut tx, &event).await?;
        let updated = cases::get(&mut tx, id).await?;
        if self.webhook {
            let event = crate::notify::CaseEvent {
                event: crate::notify::EventKind::CaseDecided,
                case_id: id,
                verification_id: updated.verification_id,
                status: updated.status.as_str(),
                reasons: crate::domain::Reason::for_client(&updated.reasons),
                outcome: updated.outcome.clone(),
            };
            crate::notify::enqueue(&mut tx, &event).await?;
        }
        tx.commit(audited).await?;
        Ok(updated)
    }
}
