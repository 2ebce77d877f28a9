//! The audit log for auditors: exported (whole, or the rows about one subject), verified, checkpointed.

use super::{Oversight, OversightError};
use crate::audit::{self, Action, AuditRow, ChainReport, Checkpoint, Outcome, SecurityEvent, Severity};
use crate::auth::Principal;
use crate::domain::{ApplicantRef, Purpose};
use crate::policy::Permission;
use crate::store::WriteTx;

impl Oversight {
    /// The audit rows, or only those about `subject` (found by its pseudonym and, in legacy rows, by the clear
    /// reference). Counted toward the access-burst alarm.
    pub async fn export_audit(
        &self,
        principal: &Principal,
        purpose: Purpose,
        subject: Option<&str>,
    ) -> Result<Vec<AuditRow>, OversightError> {
        principal.require(Permission::ExportAudit)?;
        let mut tx = self.store.begin_write().await?;
        let audited =
            audit::append(&mut tx, &principal.event(Action::ExportAudit, Some(purpose), None, Outcome::Success))
                .await?;
        audit::check_access_burst(&mut tx, &principal.actor, self.burst_threshold, self.burst_window_secs).await?;
        let mut rows = audit::export(&mut tx).await?;
        if let Some(subject) = subject {
            // A reference that does not parse was never stored: nothing matches it.
            let subject = ApplicantRef::parse(subject).ok();
            let pseudonym = subject.as_ref().map(|s| tx.pseudonym(s.expose()));
            let keyed_from = tx.keys().chain_from();
            rows.retain(|r| {
                let stored = r.subject_ref.as_deref();
                let legacy_clear =
                    r.lane == 1 && r.seq < keyed_from && stored == subject.as_ref().map(ApplicantRef::expose);
                subject.is_some() && (stored == pseudonym.as_deref() || legacy_clear)
            });
        }
        tx.commit(audited).await?;
        Ok(rows)
    }

    /// Verifies the chain.
    pub async fn verify_audit(&self, principal: &Principal, purpose: Purpose) -> Result<ChainReport, OversightError> {
        principal.require(Permission::VerifyAudit)?;
        let mut tx = self.store.begin_write().await?;
        let report = verified(&mut tx).await?;
        let audited =
            audit::append(&mut tx, &principal.event(Action::VerifyAudit, Some(purpose), None, Outcome::Success))
                .await?;
        tx.commit(audited).await?;
        Ok(report)
    }

    /// A signed checkpoint of the chain as it stands (before this request's own audit row), for the auditor to
    /// keep outside the database; `ChainBroken` when the chain does not verify (the refusal is audited too).
    pub async fn checkpoint(&self, principal: &Principal, purpose: Purpose) -> Result<Checkpoint, OversightError> {
        principal.require(Permission::VerifyAudit)?;
        let mut tx = self.store.begin_write().await?;
        let intact = verified(&mut tx).await?.intact;
        let signed = if intact { Some(audit::checkpoint(&mut tx).await?) } else { None };
        let result = if intact { Outcome::Success } else { Outcome::Failure };
        let audited =
            audit::append(&mut tx, &principal.event(Action::SignCheckpoint, Some(purpose), None, result)).await?;
        tx.commit(audited).await?;
        signed.ok_or(OversightError::ChainBroken)
    }
}

/// Verifies the chain; a break raises an `audit_chain_break` security event.
async fn verified(tx: &mut WriteTx) -> Result<ChainReport, OversightError> {
    let report = audit::verify(tx).await?;
    if !report.intact {
        audit::raise(tx, SecurityEvent::AuditChainBreak, Severity::Critical, "audit chain verification failed").await?;
    }
    Ok(report)
}
