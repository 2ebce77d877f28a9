//! Evidence packages, whatever front-end asks for them: for a verification, or for a case (its verification, the
//! analysts' decision and its two face crops), a canonical JSON record signed with the service's Ed25519 key (the
//! one that signs audit checkpoints), zipped with the crops. Each export is audited, the crops in it as crop
//! views, and counts towards the access-burst alarm. `package::check` verifies a package offline.

mod error;
pub mod package;
pub mod record;

use std::sync::Arc;

use uuid::Uuid;
use zeroize::Zeroizing;

use crate::audit::{self, Action, Outcome};
use crate::auth::Principal;
use crate::decision::Thresholds;
use crate::domain::Purpose;
use crate::pipeline::ModelHash;
use crate::policy::Permission;
use crate::store::cases::{self, Case};
use crate::store::{Store, StoreError, WriteTx};
use crate::vault::Kek;

pub use error::EvidenceError;
use record::{CaseFacts, EvidenceRecord, FileHash, Service, SessionFacts, VerificationFacts, RECORD_FORMAT};

/// What exports need, shared by every request.
pub struct Evidence {
    pub(crate) store: Store,
    pub(crate) kek: Arc<Kek>,
    /// The thresholds in force.
    pub(crate) thresholds: Thresholds,
    /// The model files the service runs (the manifest it verified at start).
    pub(crate) models: Vec<ModelHash>,
    pub(crate) burst_threshold: i64,
    pub(crate) burst_window_secs: i64,
}

impl Evidence {
    /// The package of verification `id`.
    pub async fn verification(
        &self,
        principal: &Principal,
        id: Uuid,
        purpose: Purpose,
    ) -> Result<Vec<u8>, EvidenceError> {
        principal.require(Permission::ExportEvidence)?;
        let mut tx = self.store.begin_write().await?;
        let (facts, subject) = verification_facts(&mut tx, principal, id).await?;
        let session = session_facts(&mut tx, facts.id).await?;
        let record = self.record(principal, "verification", facts, session, None)?;
        let zip = self.package(&tx, &record, &[])?;
        let event = principal.event(Action::ExportEvidence, Some(purpose), Some(&subject), Outcome::Success);
        self.finish(tx, principal, &event).await?;
        Ok(zip)
    }

    /// The package of case `id`, with its crops (each audited as a crop view).
    pub async fn case(&self, principal: &Principal, id: Uuid, purpose: Purpose) -> Result<Vec<u8>, EvidenceError> {
        principal.require(Permission::ExportEvidence)?;
        let mut tx = self.store.begin_write().await?;
        let case = cases::get(&mut tx, id).await?;
        let (facts, _) = verification_facts(&mut tx, principal, case.verification_id).await?;
        let mut crops: Vec<(FileHash, Zeroizing<Vec<u8>>)> = Vec::new();
        for kind in ["selfie", "document"] {
            let (back, png) = crate::review::open_sealed(tx, &self.kek, &case, kind).await?;
            tx = back;
            if let Some(png) = png {
                let hash = FileHash { path: format!("crops/{kind}.png"), sha256: package::sha256_hex(&png) };
                crops.push((hash, png));
            }
        }
        let case_facts = case_facts(&case, crops.iter().map(|(hash, _)| hash.clone()).collect());
        let session = session_facts(&mut tx, facts.id).await?;
        let record = self.record(principal, "case", facts, session, Some(case_facts))?;
        let files: Vec<(FileHash, &[u8])> = crops.iter().map(|(hash, png)| (hash.clone(), png.as_slice())).collect();
        let zip = self.package(&tx, &record, &files)?;
        for _ in &crops {
            let view = principal.event(Action::ViewCrop, Some(purpose), Some(&case.subject_ref), Outcome::Success);
            // The export's own row, appended in `finish`, is the proof the commit takes.
            let _ = audit::append(&mut tx, &view).await?;
        }
        let event = principal.event(Action::ExportEvidence, Some(purpose), Some(&case.subject_ref), Outcome::Success);
        self.finish(tx, principal, &event).await?;
        Ok(zip)
    }

    /// The record's canonical bytes (see `record`).
    fn record(
        &self,
        principal: &Principal,
        kind: &'static str,
        verification: VerificationFacts,
        liveness_session: Option<SessionFacts>,
        case: Option<CaseFacts>,
    ) -> Result<Vec<u8>, EvidenceError> {
        let record = EvidenceRecord {
            format: RECORD_FORMAT,
            kind,
            exported_at: crate::store::now_rfc3339()?,
            exported_by: &principal.actor,
            service: Service::this(),
            verification,
            thresholds: &self.thresholds,
            models: &self.models,
            liveness_session,
            case,
        };
        serde_json::to_vec(&record).map_err(|_| EvidenceError::Package)
    }

    fn package(&self, tx: &WriteTx, record: &[u8], crops: &[(FileHash, &[u8])]) -> Result<Vec<u8>, EvidenceError> {
        let signature = package::sign(tx.keys(), record);
        package::write(&package::Files { record, crops }, &signature).map_err(|_| EvidenceError::Package)
    }

    /// Audits the export, checks the access-burst alarm and commits.
    async fn finish(
        &self,
        mut tx: WriteTx,
        principal: &Principal,
        event: &audit::AuditEvent<'_>,
    ) -> Result<(), EvidenceError> {
        let audited = audit::append(&mut tx, event).await?;
        audit::check_access_burst(&mut tx, &principal.actor, self.burst_threshold, self.burst_window_secs).await?;
        tx.commit(audited).await?;
        Ok(())
    }
}

/// The verification's facts and its subject reference (for the audit row only: the record holds the pseudonym).
/// Another client's verification is not found.
/// The challenge log of the liveness session behind verification `id`, if any.
async fn session_facts(tx: &mut WriteTx, id: Uuid) -> Result<Option<SessionFacts>, EvidenceError> {
    let Some(session) = crate::store::liveness::by_verification(tx, id).await? else { return Ok(None) };
    let challenge: crate::liveness::Challenge =
        serde_json::from_str(&session.challenge_json).map_err(|_| StoreError::Corrupt("challenge"))?;
    Ok(Some(SessionFacts {
        id: session.id,
        challenges: challenge.actions,
        flashes: challenge.flashes,
        attempts_used: session.attempts_used,
        failed_attempts: serde_json::from_str(&session.failures_json).unwrap_or_default(),
        state: session.state.as_str(),
        created_at: session.created_at,
        finished_at: session.finished_at,
    }))
}

async fn verification_facts(
    tx: &mut WriteTx,
    principal: &Principal,
    id: Uuid,
) -> Result<(VerificationFacts, String), EvidenceError> {
    let Some(row) = crate::store::evidence_row(tx, id).await? else { return Err(EvidenceError::NotFound) };
    if !principal.owns(row.client.as_deref()) {
        return Err(EvidenceError::NotFound);
    }
    let corrupt = |what| EvidenceError::Store(StoreError::Corrupt(what));
    let facts = VerificationFacts {
        id,
        subject_pseudonym: tx.pseudonym(&row.applicant_ref),
        decision: crate::domain::Decision::parse(&row.decision).ok_or(corrupt("decision"))?,
        liveness: crate::domain::Liveness::parse(&row.liveness).ok_or(corrupt("liveness"))?,
        reasons: serde_json::from_str(&row.reasons).map_err(|_| corrupt("reasons"))?,
        client: row.client,
        purpose: row.purpose,
        similarity: row.similarity,
        live_score: row.live_score,
        duplicate_bar: row.duplicate_bar,
        reference_source: row.reference_source,
        reference_similarity: row.reference_similarity,
        request_digest: row.request_digest,
        created_at: row.created_at,
    };
    Ok((facts, row.applicant_ref))
}

fn case_facts(case: &Case, crops: Vec<FileHash>) -> CaseFacts {
    CaseFacts {
        id: case.case_id,
        status: case.status.as_str(),
        outcome: case.outcome.clone(),
        reasons: case.reasons.clone(),
        duplicate_verification_id: case.duplicate_verification_id,
        duplicate_score: case.duplicate_score,
        assigned_to: case.assigned_to.clone(),
        proposed_by: case.proposed_by.clone(),
        signed_off_by: case.signed_off_by.clone(),
        comment: case.comment.clone(),
        created_at: case.created_at.clone(),
        closed_at: case.closed_at.clone(),
        crops,
    }
}
