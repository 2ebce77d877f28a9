//! The liveness-session use case: open a session (consent, a random challenge, a capture token), send an attempt's
//! frames (token, window, attempts, replayed frames, the analysis on an inference worker), record the outcome (the
//! sealed best frame of a pass; after the last failure a negative verification with a review case and, where it
//! looks like an attack, a security event), and hand a passed session's frame to the verification that uses it.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};
use tokio::sync::Semaphore;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::{analyse, Analysis, Challenge, Frame, LivenessError, LivenessSettings};
use crate::audit::{self, Action, AuditEvent, Outcome, SecurityEvent, Severity, Subject};
use crate::auth::Principal;
use crate::domain::{ApplicantRef, ConsentRef, Decision, Liveness, Purpose, Reason, Verdict, VerificationMeta};
use crate::pipeline::pool::InferencePool;
use crate::pipeline::{FaceCrop, Part, UploadBytes};
use crate::policy::Permission;
use crate::store::biometrics;
use crate::store::liveness::{self as stored, NewSession, SessionState, StoredSession};
use crate::store::{insert_verification, NewVerification, Store, StoreError};
use crate::vault::{open_crop, seal_crop, Kek};

/// The sealed best frame is bound to the session id and this kind (the crop binding of `vault`).
const FRAME_KIND: &str = "liveness_frame";

pub struct LivenessSessions {
    pub(crate) store: Store,
    pub(crate) pool: Arc<InferencePool>,
    pub(crate) kek: Arc<Kek>,
    pub(crate) settings: LivenessSettings,
    /// Shared with verifications: an attempt's analysis takes one of the same admission permits.
    pub(crate) admission: Arc<Semaphore>,
    pub(crate) cross_border: bool,
    pub(crate) webhook: bool,
}

/// A new session as its creator sees it. The capture token is shown once; only its hash is stored.
pub struct Created {
    pub id: Uuid,
    pub capture_token: Zeroizing<String>,
    pub challenge: Challenge,
    pub expires_at: String,
    pub attempts_left: u32,
}

/// What the capture page (or app) needs to run the challenge.
pub struct Opened {
    pub id: Uuid,
    pub challenge: Challenge,
    pub expires_at: String,
    pub attempts_left: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptResult {
    /// The attempt passed: a verification may now use the session.
    Live,
    /// The attempt failed; attempts are left.
    Retry,
    /// The last attempt failed: the session ended with a negative result.
    Failed,
}

pub struct Attempted {
    pub result: AttemptResult,
    pub attempts_left: u32,
}

/// A passed session's frame, handed to the verification that uses the session as its selfie.
pub struct SessionSelfie {
    pub jpeg: UploadBytes,
}

/// A capture token: 32 random bytes, hex.
fn new_token() -> Result<Zeroizing<String>, LivenessError> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    getrandom::getrandom(&mut *bytes).map_err(|_| LivenessError::NoRandomness)?;
    Ok(Zeroizing::new(hex::encode(*bytes)))
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn parse_time(s: &str) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|_| StoreError::Corrupt("liveness session time"))
}

impl LivenessSessions {
    /// Opens a session for `applicant` under an active consent of theirs recorded by this client.
    #[tracing::instrument(name = "liveness.create", skip_all, fields(session_id))]
    pub async fn create(
        &self,
        principal: &Principal,
        applicant: ApplicantRef,
        consent: ConsentRef,
        purpose: Purpose,
    ) -> Result<Created, LivenessError> {
        principal.require(Permission::CreateVerification)?;
        principal.allow_purpose(Some(purpose))?;
        let meta = VerificationMeta {
            applicant_ref: applicant,
            purpose,
            consent_ref: consent,
            iin: None,
            birth_date: None,
            reference_source: None,
        };
        let challenge = super::challenge::draw(&self.settings).map_err(|_| LivenessError::NoRandomness)?;
        let token = new_token()?;
        let id = Uuid::new_v4();
        let now = OffsetDateTime::now_utc();
        let ttl = Duration::seconds(i64::try_from(self.settings.session_ttl_secs).unwrap_or(i64::MAX / 2));
        let (created_at, expires_at) = (crate::store::timestamp(now)?, crate::store::timestamp(now + ttl)?);
        let challenge_json = serde_json::to_string(&challenge).map_err(|_| StoreError::Corrupt("challenge"))?;
        let subject = meta.applicant_ref.expose();
        let mut tx = self.store.begin_append(Some(subject)).await?;
        let pseudonym = tx.pseudonym(subject);
        if let Err(e) =
            crate::verification::require_consent(&mut tx, &principal.actor, &meta, &pseudonym, self.cross_border).await
        {
            return Err(match e {
                crate::verification::VerificationError::ConsentRequired(m) => LivenessError::ConsentRequired(m),
                crate::verification::VerificationError::Store(s) => LivenessError::Store(s),
                _ => LivenessError::ConsentRequired("no active consent of this subject under consent_ref"),
            });
        }
        let row = NewSession {
            id,
            client: &principal.actor,
            subject_ref: subject,
            purpose,
            consent_ref: meta.consent_ref.expose(),
            token_hash: &token_hash(&token),
            challenge_json: &challenge_json,
            created_at: &created_at,
            expires_at: &expires_at,
        };
        stored::insert(&mut tx, &row).await?;
        let event = principal.event(Action::CreateLivenessSession, Some(purpose), Some(subject), Outcome::Success);
        let audited = audit::append(&mut tx, &event).await?;
        tx.commit(audited).await?;
        tracing::Span::current().record("session_id", tracing::field::display(id));
        Ok(Created { id, capture_token: token, challenge, expires_at, attempts_left: self.settings.max_attempts })
    }

    /// The session `token` opens, while attempts may still be sent.
    async fn open(&self, id: Uuid, token: &str) -> Result<StoredSession, LivenessError> {
        let mut conn = self.store.acquire().await?;
        let session = match stored::get(&mut conn, id).await {
            Ok(s) => s,
            // Unknown and wrong token answer alike: a token is the only way to learn a session exists.
            Err(StoreError::NotFound) => return Err(LivenessError::BadToken),
            Err(e) => return Err(e.into()),
        };
        let expected = session.token_hash.as_bytes();
        if !bool::from(token_hash(token).as_bytes().ct_eq(expected)) {
            return Err(LivenessError::BadToken);
        }
        let expired = parse_time(&session.expires_at)? <= OffsetDateTime::now_utc();
        if session.state != SessionState::Open || expired || session.attempts_used >= self.settings.max_attempts {
            return Err(LivenessError::Closed);
        }
        Ok(session)
    }

    fn challenge_of(session: &StoredSession) -> Result<Challenge, LivenessError> {
        Ok(serde_json::from_str(&session.challenge_json).map_err(|_| StoreError::Corrupt("challenge"))?)
    }

    /// The challenge, for the capture page or app holding the token.
    pub async fn opened(&self, id: Uuid, token: &str) -> Result<Opened, LivenessError> {
        let session = self.open(id, token).await?;
        Ok(Opened {
            id,
            challenge: Self::challenge_of(&session)?,
            expires_at: session.expires_at.clone(),
            attempts_left: self.settings.max_attempts.saturating_sub(session.attempts_used),
        })
    }

    /// Checks what can be checked before an attempt is used: count and sizes of the frames.
    pub fn check_frames(&self, frames: &[Frame]) -> Result<(), LivenessError> {
        let s = &self.settings;
        if frames.len() < s.min_frames || frames.len() > s.max_frames {
            return Err(LivenessError::BadFrames(format!(
                "an attempt carries {} to {} frames; this one has {}",
                s.min_frames,
                s.max_frames,
                frames.len()
            )));
        }
        Ok(())
    }

    /// One attempt: its frames analysed against the session's challenge, the outcome recorded.
    #[tracing::instrument(name = "liveness.attempt", skip_all, fields(session_id = %id, result))]
    pub async fn attempt(&self, id: Uuid, token: &str, frames: Vec<Frame>) -> Result<Attempted, LivenessError> {
        let session = self.open(id, token).await?;
        self.check_frames(&frames)?;
        let challenge = Self::challenge_of(&session)?;
        let _permit = self.admission.clone().try_acquire_owned().map_err(|_| {
            tracing::warn!("liveness attempt refused: capacity full");
            LivenessError::Overloaded
        })?;
        let mut conn = self.store.acquire().await?;
        if !stored::take_attempt(&mut conn, id, self.settings.max_attempts).await? {
            return Err(LivenessError::Closed);
        }
        let attempt_no = stored::get(&mut conn, id).await?.attempts_used;
        // Every frame's keyed hash is kept: one seen before, in any session, is a replay.
        let at = crate::store::now_rfc3339()?;
        let mut replayed = false;
        for frame in &frames {
            let digest = hex::encode(Sha256::digest(&*frame.jpeg));
            let hash = self.store.pseudonym(&format!("liveness-frame\0{digest}"))?;
            replayed |= !stored::note_frame(&mut conn, &hash, id, &at).await?;
        }
        drop(conn);
        let settings = self.settings.clone();
        let (analysis, frames, crop) = self
            .pool
            .run(move |p| -> Result<(Analysis, Vec<Frame>, Option<FaceCrop>), LivenessError> {
                let analysis = analyse(p, &frames, &challenge, &settings).map_err(LivenessError::Inference)?;
                // The analyst's crop, should this be the last failure: the best frame as a selfie.
                let crop = match (&analysis.best, analysis.passed()) {
                    (Some(best), false) => frames
                        .get(best.index)
                        .and_then(|f| p.examine_bytes(&f.jpeg, Part::Selfie).ok())
                        .and_then(|e| e.crop),
                    _ => None,
                };
                Ok((analysis, frames, crop))
            })
            .await??;
        let mut failures: Vec<&'static str> = analysis.failures.iter().map(|f| f.as_str()).collect();
        if replayed {
            failures.push("frame_replayed");
        }
        let passed = failures.is_empty() && analysis.best.is_some();
        let outcome = match (&analysis.best, passed) {
            (Some(best), true) => {
                let jpeg = frames.get(best.index).map(|f| &f.jpeg).ok_or(StoreError::Corrupt("best frame"))?;
                self.record_pass(&session, jpeg, best.live_score).await?;
                AttemptResult::Live
            }
            _ => {
                let attack = replayed || analysis.failures.iter().any(|f| f.looks_like_attack());
                self.record_failure(&session, attempt_no, &failures, attack, crop).await?
            }
        };
        tracing::Span::current().record("result", tracing::field::debug(outcome));
        crate::metrics::count_liveness_attempt(match outcome {
            AttemptResult::Live => "live",
            AttemptResult::Retry => "retry",
            AttemptResult::Failed => "failed",
        });
        let attempts_left = match outcome {
            AttemptResult::Retry => self.settings.max_attempts.saturating_sub(attempt_no),
            _ => 0,
        };
        Ok(Attempted { result: outcome, attempts_left })
    }

    fn attempt_event<'a>(session: &'a StoredSession, actor: &'a str, result: Outcome) -> AuditEvent<'a> {
        AuditEvent {
            actor,
            role: "applicant",
            action: Action::LivenessAttempt,
            purpose: Some(session.purpose),
            subject_ref: Some(Subject::Clear(&session.subject_ref)),
            result,
            request_id: None,
        }
    }

    async fn record_pass(&self, session: &StoredSession, jpeg: &[u8], live_score: f32) -> Result<(), LivenessError> {
        let subject = session.subject_ref.as_str();
        let mut tx = self.store.begin_append(Some(subject)).await?;
        let key = biometrics::data_key(&mut tx, &self.kek, subject).await?;
        let sealed = seal_crop(&key, jpeg, session.id, FRAME_KIND, subject).map_err(StoreError::Vault)?;
        stored::record_pass(&mut tx, session.id, &sealed, live_score, &crate::store::now_rfc3339()?).await?;
        let actor = format!("liveness_session:{}", session.id);
        let audited = audit::append(&mut tx, &Self::attempt_event(session, &actor, Outcome::Success)).await?;
        tx.commit(audited).await?;
        Ok(())
    }

    /// A failed attempt: its codes kept for the analyst; the last one ends the session with a negative
    /// verification (decision `review`, reason `liveness_session_failed`) and a case holding the best frame's crop.
    async fn record_failure(
        &self,
        session: &StoredSession,
        attempt_no: u32,
        failures: &[&'static str],
        attack: bool,
        crop: Option<FaceCrop>,
    ) -> Result<AttemptResult, LivenessError> {
        let mut history: Vec<Vec<String>> = serde_json::from_str(&session.failures_json).unwrap_or_default();
        history.push(failures.iter().map(|f| (*f).to_owned()).collect());
        let history = serde_json::to_string(&history).map_err(|_| StoreError::Corrupt("failures"))?;
        let last = attempt_no >= self.settings.max_attempts;
        let subject = session.subject_ref.as_str();
        let mut tx = self.store.begin_append(Some(subject)).await?;
        let actor = format!("liveness_session:{}", session.id);
        if !last {
            stored::record_failure(&mut tx, session.id, &history, None).await?;
            let audited = audit::append(&mut tx, &Self::attempt_event(session, &actor, Outcome::Failure)).await?;
            tx.commit(audited).await?;
            return Ok(AttemptResult::Retry);
        }
        let verification_id = Uuid::new_v4();
        let liveness = if attack { Liveness::Spoof } else { Liveness::Inconclusive };
        let verdict = Verdict { decision: Decision::Review, liveness, reasons: vec![Reason::LivenessSessionFailed] };
        let meta = VerificationMeta {
            applicant_ref: ApplicantRef::parse(subject).map_err(|_| StoreError::Corrupt("subject"))?,
            purpose: session.purpose,
            consent_ref: ConsentRef::parse(&session.consent_ref).map_err(|_| StoreError::Corrupt("consent"))?,
            iin: None,
            birth_date: None,
            reference_source: None,
        };
        let digest = hex::encode(Sha256::digest(format!("liveness_session\0{}", session.id)));
        let row = NewVerification {
            id: verification_id,
            client: &session.client,
            meta: &meta,
            idempotency_key: None,
            request_digest: &digest,
            verdict: &verdict,
            similarity: None,
            live_score: None,
            reference_similarity: None,
            duplicate_bar: None,
        };
        insert_verification(&mut tx, &row).await?;
        let key = match &crop {
            Some(_) => Some(biometrics::data_key(&mut tx, &self.kek, subject).await?),
            None => None,
        };
        let crops = [("selfie", crop.as_ref())];
        let opened = crate::store::cases::NewCase {
            id: Uuid::new_v4(),
            verification_id,
            subject_ref: subject,
            reasons: &verdict.reasons,
            similarity: None,
            live_score: None,
            duplicate: None,
        };
        crate::verification::open_case(&mut tx, self.webhook, &opened, &crops, key.as_ref()).await?;
        let at = crate::store::now_rfc3339()?;
        stored::record_failure(&mut tx, session.id, &history, Some((&at, verification_id))).await?;
        if attack {
            let detail = format!("liveness session {} failed with signs of an attack", session.id);
            audit::raise(&mut tx, SecurityEvent::LivenessAttack, Severity::Warning, &detail).await?;
        }
        let audited = audit::append(&mut tx, &Self::attempt_event(session, &actor, Outcome::Failure)).await?;
        tx.commit(audited).await?;
        Ok(AttemptResult::Failed)
    }
}

/// The frame of a passed session, for the verification of the same client, applicant, consent and purpose within
/// the use window (`session_ttl_secs` after it passed). The session is marked used in the verification's own
/// transaction (`mark_used`).
pub(crate) async fn selfie_of(
    store: &Store,
    kek: &Kek,
    settings: &LivenessSettings,
    client: &str,
    id: Uuid,
    meta: &VerificationMeta,
) -> Result<SessionSelfie, LivenessError> {
    let mut conn = store.acquire().await?;
    let session = match stored::get(&mut conn, id).await {
        Ok(s) => s,
        Err(StoreError::NotFound) => return Err(LivenessError::NotUsable),
        Err(e) => return Err(e.into()),
    };
    let subject = meta.applicant_ref.expose();
    let same = session.client == client
        && session.subject_ref == subject
        && session.consent_ref == meta.consent_ref.expose()
        && session.purpose == meta.purpose;
    let window = Duration::seconds(i64::try_from(settings.session_ttl_secs).unwrap_or(i64::MAX / 2));
    let fresh = match &session.finished_at {
        Some(at) => parse_time(at)? + window > OffsetDateTime::now_utc(),
        None => false,
    };
    if !same || session.state != SessionState::Live || !fresh {
        return Err(LivenessError::NotUsable);
    }
    let sealed = stored::best_frame(&mut conn, id).await?.ok_or(LivenessError::NotUsable)?;
    let wrapped = biometrics::wrapped_key(&mut conn, subject).await?.ok_or(LivenessError::NotUsable)?;
    let key = crate::vault::DataKey::unwrap(&wrapped, kek, subject).map_err(StoreError::Vault)?;
    let jpeg = open_crop(&key, &sealed, id, FRAME_KIND, subject).map_err(StoreError::Vault)?;
    Ok(SessionSelfie { jpeg: UploadBytes::from(jpeg) })
}
