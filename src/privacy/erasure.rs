//! Subject erasure for the DPO: everything stored about an applicant (database rows, sealed templates by
//! crypto-shredding, case crops, the in-memory gallery), then SQLite's write-ahead log checkpointed so no older copy
//! stays there; and the residue check that proves nothing remains (per-table counts, a scan of every column of
//! every table and, on SQLite, of the database and log files).

use super::{Privacy, PrivacyError};
use crate::audit::{self, Action, Outcome};
use crate::auth::Principal;
use crate::domain::{ApplicantRef, Purpose};
use crate::policy::Permission;
use crate::store::residue;
use crate::store::subjects::{self, Counts, Residue};

/// A subject reference from a path segment; one that does not parse was never stored.
pub fn subject(raw: &str) -> Result<ApplicantRef, PrivacyError> {
    ApplicantRef::parse(raw).map_err(|_| PrivacyError::NoSuchSubject)
}

impl Privacy {
    /// Erases `subject`; returns the rows erased and the templates dropped from this replica's gallery.
    pub async fn erase(
        &self,
        principal: &Principal,
        purpose: Purpose,
        subject: &ApplicantRef,
    ) -> Result<(Counts, usize), PrivacyError> {
        principal.require(Permission::EraseSubject)?;
        let mut tx = self.store.begin_write().await?;
        let erased = subjects::erase(&mut tx, subject.expose()).await?;
        let event = principal.event(Action::EraseSubject, Some(purpose), Some(subject.expose()), Outcome::Success);
        let audited = audit::append(&mut tx, &event).await?;
        tx.commit(audited).await?;
        let from_memory = self.gallery.remove_subject(subject.expose());
        self.blocklist.remove_subject(subject.expose());
        self.store.checkpoint_wal().await;
        Ok((erased, from_memory))
    }

    /// What remains of `subject` anywhere the service keeps data.
    pub async fn residue(
        &self,
        principal: &Principal,
        purpose: Purpose,
        subject: &ApplicantRef,
    ) -> Result<Residue, PrivacyError> {
        principal.require(Permission::EraseSubject)?;
        // The scan reads the whole database: outside the write transaction, so writers are not held up meanwhile.
        let scan = residue::scan(&self.store, subject.expose()).await?;
        let mut tx = self.store.begin_write().await?;
        let pseudonym = tx.pseudonym(subject.expose());
        let mut rows = subjects::counts(&mut tx, subject.expose(), &pseudonym).await?;
        rows.gallery = i64::try_from(self.gallery.count_subject(subject.expose())).unwrap_or(i64::MAX);
        let found = Residue {
            rows,
            stored_copies: scan.stored_copies,
            database_file_copies: scan.database_file_copies,
            wal_file_copies: scan.wal_file_copies,
        };
        let event = principal.event(Action::CheckErasure, Some(purpose), Some(subject.expose()), Outcome::Success);
        let audited = audit::append(&mut tx, &event).await?;
        tx.commit(audited).await?;
        Ok(found)
    }
}
