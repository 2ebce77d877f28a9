//! The verification use case, whatever front-end carries it: admission, consent, idempotency, the pipeline on both
//! photos, the decision, the 1:N searches, one stored transaction (verification, sealed template, case, audit) and
//! the gallery. Front-ends (the HTTP API; the capture flow to come) read the request, call `verify` or `show`, and
//! map `VerificationError` to their answers.

mod consent;
mod error;
mod record;
mod submission;

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

use crate::audit::{Action, Outcome};
use crate::auth::Principal;
use crate::decision::{
    decide_with_reference, flag_blocklisted, flag_document_data, flag_document_reuse, flag_duplicate,
    flag_passive_only, needs_case, LivenessBasis, Thresholds,
};
use crate::domain::{Purpose, Verdict};
use crate::gallery::Gallery;
use crate::pipeline::pool::InferencePool;
use crate::pipeline::{Evidence, Examined, Part, ReferenceEvidence};
use crate::policy::Permission;
use crate::store::{NewVerification, Store, StoreError, StoredVerification};
use crate::vault::Kek;

pub(crate) use consent::require as require_consent;
pub use error::VerificationError;
pub(crate) use record::open_case;
pub use submission::{Selfie, Submission};

/// What the use case needs, shared by every request.
pub struct Verifications {
    pub(crate) store: Store,
    pub(crate) pool: Arc<InferencePool>,
    pub(crate) kek: Arc<Kek>,
    pub(crate) gallery: Arc<Gallery>,
    /// The blocklist's faces (confirmed fraud), searched with the same bar as the gallery.
    pub(crate) blocklist: Arc<Gallery>,
    /// Verifications admitted at once (in a worker or waiting for one); beyond it: `Overloaded`.
    pub(crate) admission: Arc<Semaphore>,
    pub(crate) max_in_flight: usize,
    pub(crate) thresholds: Thresholds,
    /// Storage is outside KZ (consented cross-border mode): consents must allow cross-border transfer.
    pub(crate) cross_border: bool,
    /// Whether case changes are queued for the webhook.
    pub(crate) webhook: bool,
    /// Liveness sessions: whether they are required, and how long a passed one may be used.
    pub(crate) liveness: crate::liveness::LivenessSettings,
}

/// A verification's outcome: the stored one this request made, or the earlier one it repeats.
pub struct Verified {
    pub id: Uuid,
    pub verdict: Verdict,
    /// The same request under the same idempotency key was answered before: this is that answer.
    pub replayed: bool,
}

impl Verifications {
    /// Refuses before the body is read when 1:N search could not be complete.
    pub fn check_ready(&self) -> Result<(), VerificationError> {
        if self.gallery.is_loaded() {
            Ok(())
        } else {
            Err(VerificationError::GalleryLoading)
        }
    }

    /// The 1:N duplicate bar for the gallery as it is now (`Thresholds::duplicate_bar`).
    pub fn duplicate_bar(&self) -> f32 {
        self.thresholds.duplicate_bar(self.gallery.len())
    }

    /// Verifications running now, of `max_in_flight`.
    pub fn in_flight(&self) -> (usize, usize) {
        (self.max_in_flight.saturating_sub(self.admission.available_permits()), self.max_in_flight)
    }

    fn admit(&self) -> Result<OwnedSemaphorePermit, VerificationError> {
        self.admission.clone().try_acquire_owned().map_err(|_| {
            tracing::warn!("admission refused: verification capacity full");
            VerificationError::Overloaded
        })
    }

    /// Verifies `submission` for `principal`; `idempotency_key` makes a retry answer as the first attempt did.
    #[tracing::instrument(name = "verification.verify", skip_all, fields(verification_id, decision))]
    pub async fn verify(
        &self,
        principal: &Principal,
        submission: Submission,
        idempotency_key: Option<&str>,
    ) -> Result<Verified, VerificationError> {
        principal.require(Permission::CreateVerification)?;
        let _permit = self.admit()?;
        principal.allow_purpose(Some(submission.meta.purpose))?;
        if self.liveness.require_session && matches!(submission.selfie, Selfie::Still(_)) {
            return Err(crate::liveness::LivenessError::SessionRequired.into());
        }
        // Consent first, replays included: after withdrawal nothing about the subject is processed or answered.
        let pseudonym = self.store.pseudonym(submission.meta.applicant_ref.expose())?;
        let mut conn = self.store.acquire().await?;
        consent::require(&mut conn, &principal.actor, &submission.meta, &pseudonym, self.cross_border).await?;
        // Subjects known not to be this one (twins on the allowlist): their faces are no duplicate of it. Resolved
        // to their references once here (a partner with templates in the gallery has a data key filed under its
        // pseudonym), so the 1:N search compares references, not a keyed hash per gallery entry.
        let mut allowed = Vec::new();
        for partner in crate::store::allowlist::partners(&mut conn, &pseudonym).await? {
            allowed.extend(crate::store::biometrics::subject_by_pseudonym(&mut conn, &partner).await?);
        }
        drop(conn);
        let digest = submission.digest();
        if let Some(key) = idempotency_key {
            if let Some(previous) = self.replay(principal, key, &digest).await? {
                return Ok(previous);
            }
        }
        let Submission { selfie, document, meta, reference, .. } = submission;
        let (selfie, session) = match selfie {
            Selfie::Still(photo) => (photo, None),
            Selfie::Session(id) => {
                let taken = crate::liveness::sessions::selfie_of(
                    &self.store,
                    &self.kek,
                    &self.liveness,
                    &principal.actor,
                    id,
                    &meta,
                )
                .await?;
                (taken.jpeg, Some(id))
            }
        };
        let wants_mrz = meta.iin.is_some() || meta.birth_date.is_some();
        let (evidence, reference) =
            tokio::join!(self.examine(selfie, document, wants_mrz), self.examine_reference(reference));
        let evidence = evidence?;
        // The reference photo is compared and forgotten: never stored, never searched 1:N.
        let reference = reference?.map(|examined| ReferenceEvidence::new(examined, &evidence));
        let basis = if session.is_some() { LivenessBasis::Session } else { LivenessBasis::StillPhoto };
        let mut verdict = decide_with_reference(&evidence, reference.as_ref(), &self.thresholds, basis);
        if session.is_none() {
            flag_passive_only(&mut verdict, &evidence);
        }
        let subject = meta.applicant_ref.expose();
        let other = |s: &str| s != subject && !allowed.iter().any(|a| a == s);
        let bar = self.duplicate_bar();
        let search =
            |e: &Option<crate::pipeline::Embedding>| e.as_ref().and_then(|e| self.gallery.search_where(e, bar, other));
        let duplicate = search(&evidence.selfie.embedding);
        if duplicate.is_some() {
            flag_duplicate(&mut verdict);
        }
        // The document portrait is searched too: one ID photo under several applicants is the classic reuse fraud.
        let reused = search(&evidence.document.embedding);
        if reused.is_some() {
            flag_document_reuse(&mut verdict);
        }
        // Either face on the blocklist (whoever's it was, the same applicant included), with the bar for its size.
        let blocklist_bar = self.thresholds.duplicate_bar(self.blocklist.len());
        let blocklisted = [&evidence.selfie.embedding, &evidence.document.embedding]
            .into_iter()
            .flatten()
            .any(|e| self.blocklist.search(e, "", blocklist_bar).is_some());
        if blocklisted {
            flag_blocklisted(&mut verdict);
        }
        // What the document's machine-readable zone says against what the client says about the applicant.
        flag_document_data(&mut verdict, evidence.document.mrz.as_ref(), meta.iin.as_ref(), meta.birth_date.as_ref());
        // The case links the other applicant: the selfie's duplicate, else the document's.
        let duplicate = duplicate.or(reused);
        let id = Uuid::new_v4();
        let row = NewVerification {
            id,
            client: &principal.actor,
            meta: &meta,
            idempotency_key,
            request_digest: &digest,
            verdict: &verdict,
            similarity: evidence.similarity,
            live_score: evidence.selfie.live_score,
            reference_similarity: reference.as_ref().and_then(|r| r.live),
            duplicate_bar: Some(bar),
        };
        drop(reference);
        let flagged = record::Flagged {
            case_id: needs_case(&verdict).then(Uuid::new_v4),
            duplicate: duplicate.as_ref(),
            session,
        };
        match record::store(self, principal, &row, &evidence, &flagged).await {
            Ok(()) => {
                if let Some(template) = &evidence.selfie.embedding {
                    self.gallery.insert(subject, id, template);
                }
            }
            Err(VerificationError::Store(StoreError::Conflict)) => {
                // A concurrent request with the same key won the race: answer as a replay of it.
                let key = idempotency_key.unwrap_or_default();
                return match self.replay(principal, key, &digest).await? {
                    Some(previous) => Ok(previous),
                    None => Err(VerificationError::IdempotencyConflict("idempotency key already used")),
                };
            }
            Err(e) => return Err(e),
        }
        let span = tracing::Span::current();
        span.record("verification_id", tracing::field::display(id));
        span.record("decision", verdict.decision.as_str());
        crate::metrics::count_decision(verdict.decision.as_str());
        tracing::info!(liveness = verdict.liveness.as_str(), "verification stored");
        Ok(Verified { id, verdict, replayed: false })
    }

    /// Both photos through the pipeline, on two workers at once. The document's MRZ is read only when there is
    /// something to compare it with.
    async fn examine(
        &self,
        selfie: crate::pipeline::UploadBytes,
        document: crate::pipeline::UploadBytes,
        wants_mrz: bool,
    ) -> Result<Evidence, VerificationError> {
        let started = std::time::Instant::now();
        let (selfie, document) = tokio::join!(
            self.pool.run(move |p| p.examine_bytes(&selfie, Part::Selfie)),
            self.pool.run(move |p| p.examine_bytes_with(&document, Part::Document, wants_mrz)),
        );
        let evidence = Evidence::new(selfie??, document??);
        crate::metrics::observe_stage(crate::metrics::Stage::Verify, started.elapsed());
        Ok(evidence)
    }

    /// The state database's reference photo, when the client sent one, on a worker of its own (alongside the selfie
    /// and the document): examined as a clean portrait, no liveness, no document check.
    async fn examine_reference(
        &self,
        reference: Option<crate::pipeline::UploadBytes>,
    ) -> Result<Option<Examined>, VerificationError> {
        let Some(reference) = reference else { return Ok(None) };
        Ok(Some(self.pool.run(move |p| p.examine_bytes(&reference, Part::Reference)).await??))
    }

    /// This client's earlier verification under `key`: the same request replays it, a different one is a
    /// conflict. Keys are scoped to the client: another client's key is simply unknown here.
    async fn replay(
        &self,
        principal: &Principal,
        key: &str,
        digest: &str,
    ) -> Result<Option<Verified>, VerificationError> {
        match self.store.verification_by_idempotency_key(&principal.actor, key).await? {
            Some(previous) if previous.request_digest == digest => {
                Ok(Some(Verified { id: previous.id, verdict: previous.verdict, replayed: true }))
            }
            Some(_) => {
                Err(VerificationError::IdempotencyConflict("this idempotency key was used for a different request"))
            }
            None => Ok(None),
        }
    }

    /// A stored verification, for its client or staff (another client's is not found), the read audited.
    #[tracing::instrument(name = "verification.show", skip_all)]
    pub async fn show(
        &self,
        principal: &Principal,
        id: Uuid,
        purpose: Purpose,
    ) -> Result<StoredVerification, VerificationError> {
        principal.require(Permission::ReadVerification)?;
        let stored = self.store.verification(id).await?;
        if !principal.owns(stored.client.as_deref()) {
            return Err(StoreError::NotFound.into());
        }
        let event =
            principal.event(Action::ReadVerification, Some(purpose), Some(&stored.applicant_ref), Outcome::Success);
        let mut tx = self.store.begin_append(Some(&stored.applicant_ref)).await?;
        let audited = crate::audit::append(&mut tx, &event).await?;
        tx.commit(audited).await?;
        Ok(stored)
    }
}
