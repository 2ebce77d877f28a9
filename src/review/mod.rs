//! Fraud analysts' review, whatever front-end carries it (the API, the console): the case queue, a case, its two
//! face crops (decrypted on demand), assignment and the decision (clear, or confirm fraud with a supervisor's
//! sign-off), notes and requests for a new capture (notes.rs). Every read and write is audited in the transaction
//! that does it.

mod allowlist;
mod blocklist;
mod crops;
mod dashboard;
mod decisions;
mod error;
mod notes;
mod priority;

use std::sync::Arc;

use uuid::Uuid;

use crate::audit::{self, Action, Outcome};
use crate::auth::Principal;
use crate::domain::{Purpose, Reason};
use crate::policy::Permission;
use crate::store::case_notes::{self, CaseNote};
use crate::store::cases::{self, Case, CaseStatus};
use crate::store::Store;
use crate::vault::Kek;

pub use blocklist::{entry_id, CONFIRMED_FRAUD};
pub use cases::Sort;
pub(crate) use crops::open_sealed;
pub use dashboard::{Dashboard, DASHBOARD_DAYS};
pub use decisions::CaseOutcome;
pub use error::ReviewError;
pub use notes::MAX_NOTE_CHARS;
pub use priority::Priority;

/// What review needs, shared by every request.
pub struct Review {
    pub(crate) store: Store,
    pub(crate) kek: Arc<Kek>,
    /// The blocklist's faces in memory, changed at once on this replica when an entry is added or removed.
    pub(crate) blocklist: Arc<crate::gallery::Gallery>,
    /// Whether case changes are queued for the webhook.
    pub(crate) webhook: bool,
    /// Crop views / audit exports by one user within `burst_window_secs` above which an access_burst is raised.
    pub(crate) burst_threshold: i64,
    pub(crate) burst_window_secs: i64,
}

/// Which cases a list shows, in which order.
pub struct CaseFilter {
    pub status: Option<CaseStatus>,
    pub reason: Option<Reason>,
    pub sort: Sort,
    pub limit: i64,
    pub offset: i64,
}

/// A case, the case of the other applicant it duplicates (if that one has a case), and its notes.
pub struct CaseView {
    pub case: Case,
    pub duplicate_case_id: Option<Uuid>,
    pub notes: Vec<CaseNote>,
}

/// A case id from a path segment; anything else is an unknown case.
pub fn case_id(raw: &str) -> Result<Uuid, ReviewError> {
    Uuid::parse_str(raw).map_err(|_| ReviewError::NoSuchCase)
}

impl Review {
    /// Cases matching `filter`, in its order; the listing is audited.
    pub async fn list(
        &self,
        principal: &Principal,
        purpose: Purpose,
        filter: &CaseFilter,
    ) -> Result<Vec<Case>, ReviewError> {
        principal.require(Permission::ReadCase)?;
        let mut tx = self.store.begin_write().await?;
        let found =
            cases::list(&mut tx, filter.status, filter.reason, filter.sort, filter.limit, filter.offset).await?;
        let audited =
            audit::append(&mut tx, &principal.event(Action::ListCases, Some(purpose), None, Outcome::Success)).await?;
        tx.commit(audited).await?;
        Ok(found)
    }

    /// The console's queue: open cases and those waiting for a sign-off (up to 100 each, the oldest or newest
    /// by `sort`), together in that order; audited as one listing.
    pub async fn queue(&self, principal: &Principal, purpose: Purpose, sort: Sort) -> Result<Vec<Case>, ReviewError> {
        principal.require(Permission::ReadCase)?;
        let mut tx = self.store.begin_write().await?;
        let mut rows = cases::list(&mut tx, Some(CaseStatus::Open), None, sort, 100, 0).await?;
        rows.extend(cases::list(&mut tx, Some(CaseStatus::PendingSignoff), None, sort, 100, 0).await?);
        rows.sort_by(|a, b| sort.order(&a.created_at, &b.created_at).then_with(|| a.case_id.cmp(&b.case_id)));
        let audited =
            audit::append(&mut tx, &principal.event(Action::ListCases, Some(purpose), None, Outcome::Success)).await?;
        tx.commit(audited).await?;
        Ok(rows)
    }

    /// One case, the view audited, with the case of the applicant it duplicates and its notes.
    pub async fn show(&self, principal: &Principal, id: Uuid, purpose: Purpose) -> Result<CaseView, ReviewError> {
        principal.require(Permission::ReadCase)?;
        let mut tx = self.store.begin_write().await?;
        let case = cases::get(&mut tx, id).await?;
        let notes = case_notes::list(&mut tx, id).await?;
        let event = principal.event(Action::ViewCase, Some(purpose), Some(&case.subject_ref), Outcome::Success);
        let audited = audit::append(&mut tx, &event).await?;
        tx.commit(audited).await?;
        let duplicate_case_id = match case.duplicate_verification_id {
            Some(v) => {
                let mut conn = self.store.acquire().await?;
                cases::by_verification(&mut conn, v).await?.map(|c| c.case_id)
            }
            None => None,
        };
        Ok(CaseView { case, duplicate_case_id, notes })
    }
}
