//! One transaction per verification: consent still active, the verification row, the sealed selfie template, the
//! case with its sealed crops when flagged (and its webhook event), the audit row.

use uuid::Uuid;

use super::{consent, VerificationError, Verifications};
use crate::audit::{self, Action, Outcome};
use crate::auth::Principal;
use crate::gallery::Hit;
use crate::notify::{CaseEvent, EventKind};
use crate::pipeline::{Evidence, FaceCrop};
use crate::store::biometrics::{self, NewTemplate};
use crate::store::cases::{self, CaseStatus, NewCase};
use crate::store::{insert_verification, NewVerification, StoreError, WriteTx};
use crate::vault::{seal_crop, seal_template, DataKey, TemplateBinding};

/// A case to open with the verification, and the other applicant it duplicates, if any.
pub(super) struct Flagged<'a> {
    pub case_id: Option<Uuid>,
    pub duplicate: Option<&'a Hit>,
    /// The liveness session whose frame is the selfie: used up by this verification.
    pub session: Option<Uuid>,
}

/// Opens `case` in the caller's transaction: the row, its webhook event (when one is configured) and the crops,
/// sealed under the subject's data key (`key`, needed when there are crops).
pub(crate) async fn open_case(
    tx: &mut WriteTx,
    webhook: bool,
    case: &NewCase<'_>,
    crops: &[(&str, Option<&FaceCrop>)],
    key: Option<&DataKey>,
) -> Result<(), StoreError> {
    cases::insert(tx, case).await?;
    if webhook {
        let event = CaseEvent {
            event: EventKind::CaseOpened,
            case_id: case.id,
            verification_id: case.verification_id,
            status: CaseStatus::Open.as_str(),
            reasons: crate::domain::Reason::for_client(case.reasons),
            outcome: None,
        };
        crate::notify::enqueue(tx, &event).await?;
    }
    for (kind, crop) in crops {
        let (Some(crop), Some(key)) = (crop, key) else { continue };
        let png = crop.to_png().map_err(|_| StoreError::Corrupt("crop encoding"))?;
        let sealed = seal_crop(key, &png, case.id, kind, case.subject_ref).map_err(StoreError::Vault)?;
        cases::insert_crop(tx, case.id, kind, case.subject_ref, &sealed).await?;
    }
    Ok(())
}

pub(super) async fn store(
    core: &Verifications,
    principal: &Principal,
    record: &NewVerification<'_>,
    evidence: &Evidence,
    flagged: &Flagged<'_>,
) -> Result<(), VerificationError> {
    let meta = record.meta;
    let subject = meta.applicant_ref.expose();
    let mut tx: WriteTx = core.store.begin_append(Some(subject)).await?;
    let locked = std::time::Instant::now();
    let pseudonym = tx.pseudonym(subject);
    if consent::require(&mut tx, &principal.actor, meta, &pseudonym, core.cross_border).await.is_err() {
        return Err(VerificationError::ConsentRequired("consent was withdrawn during the verification"));
    }
    insert_verification(&mut tx, record).await?;
    if let Some(session) = flagged.session {
        match crate::store::liveness::mark_used(&mut tx, session, record.id).await {
            Err(StoreError::Conflict) => return Err(crate::liveness::LivenessError::NotUsable.into()),
            other => other?,
        }
    }
    let needs_key = evidence.selfie.embedding.is_some() || flagged.case_id.is_some();
    let key = if needs_key { Some(biometrics::data_key(&mut tx, &core.kek, subject).await?) } else { None };
    if let Some(case_id) = flagged.case_id {
        let case = NewCase {
            id: case_id,
            verification_id: record.id,
            subject_ref: subject,
            reasons: &record.verdict.reasons,
            similarity: record.similarity,
            live_score: record.live_score,
            duplicate: flagged.duplicate.map(|h| (h.verification_id, h.score)),
        };
        let crops = [("selfie", evidence.selfie.crop.as_ref()), ("document", evidence.document.crop.as_ref())];
        open_case(&mut tx, core.webhook, &case, &crops, key.as_ref()).await?;
    }
    if let (Some(template), Some(key)) = (&evidence.selfie.embedding, &key) {
        let template_id = Uuid::new_v4();
        let model = core.pool.template_space().model_sha256.as_str();
        let binding = TemplateBinding {
            record_id: template_id,
            verification_id: record.id,
            subject,
            purpose: meta.purpose,
            model,
        };
        let sealed = seal_template(key, template, &binding).map_err(StoreError::Vault)?;
        let row = NewTemplate {
            id: template_id,
            verification_id: record.id,
            subject_ref: subject,
            purpose: meta.purpose,
            sealed: &sealed,
            model,
        };
        biometrics::insert_template(&mut tx, &row).await?;
    }
    let event = principal.event(Action::Verify, Some(meta.purpose), Some(subject), Outcome::Success);
    let audited = audit::append(&mut tx, &event).await?;
    tx.commit(audited).await?;
    crate::metrics::observe_stage(crate::metrics::Stage::Record, locked.elapsed());
    Ok(())
}
