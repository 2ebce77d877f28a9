//! `POST /v1/verifications` and `GET /v1/verifications/{id}`: the onboarding client's whole API.
//! Responses carry the decision, the liveness label and reason codes only: no scores, embeddings or images.
//! The verification, its sealed selfie template and its audit row commit in one transaction.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::form::{self, VerificationForm};
use super::{store_error, AppState, Principal, StoreResultExt};
use crate::audit::{self, Action, Outcome};
use crate::decision::{decide, flag_document_data, flag_document_reuse, flag_duplicate, needs_case};
use crate::domain::{Decision, Liveness, Reason, Verdict, VerificationMeta};
use crate::error::{ApiError, ErrorCode};
use crate::gallery::Hit;
use crate::notify::{CaseEvent, EventKind};
use crate::pipeline::{DecodeError, Evidence, Part, PipelineError};
use crate::policy::Permission;
use crate::store::biometrics::{self, NewTemplate};
use crate::store::cases::{self, CaseStatus, NewCase};
use crate::store::{consents, insert_verification, NewVerification, StoreError, StoredVerification, WriteTx};
use crate::vault::{seal_crop, seal_template, TemplateBinding};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/verifications").route(web::post().to(create)).default_service(web::to(method_not_allowed)),
    )
    .service(web::resource("/verifications/{id}").route(web::get().to(show)));
}

/// A verification as its answer shows it: decision, liveness label and reason codes only.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Verification)]
pub(crate) struct VerificationResponse {
    verification_id: Uuid,
    decision: Decision,
    liveness: Liveness,
    reasons: Vec<Reason>,
}

impl VerificationResponse {
    fn new(id: Uuid, verdict: Verdict) -> Self {
        Self { verification_id: id, decision: verdict.decision, liveness: verdict.liveness, reasons: verdict.reasons }
    }

    /// The answer for `principal`: a client gets the client view (no fraud signals), staff the whole verdict.
    fn for_principal(principal: &Principal, id: Uuid, verdict: &Verdict) -> Self {
        Self::new(id, if principal.client().is_some() { verdict.for_client() } else { verdict.clone() })
    }
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(ErrorCode::MethodNotAllowed, "method not allowed"))
}

#[utoipa::path(
    post, path = "/v1/verifications", operation_id = "createVerification",
    security(("bearer" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, max_length = 128, nullable = false, description = "1-128 visible \
            ASCII characters: the same key with the same request replays the answer"),
    ),
    request_body(content = super::openapi::VerificationUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "verified", body = VerificationResponse),
        (status = 200, description = "idempotent replay", body = VerificationResponse),
        (status = 400, description = "error", body = super::ErrorBody),
        super::openapi::Refusals,
        (status = 409, description = "error", body = super::ErrorBody),
        (status = 408, description = "the upload was too slow or stalled (upload_too_slow)", body = super::ErrorBody),
        (status = 413, description = "error", body = super::ErrorBody),
        (status = 415, description = "error", body = super::ErrorBody),
        (status = 422, description = "error", body = super::ErrorBody),
        (status = 503, description = "error", body = super::ErrorBody),
    )
)]
#[tracing::instrument(name = "verification.create", skip_all, fields(verification_id, decision))]
async fn create(
    principal: Principal,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::CreateVerification)?;
    if !state.gallery.is_loaded() {
        // Without every stored template, 1:N search would silently miss enrolled faces.
        return Err(ApiError::unavailable(&GalleryLoading, state.retry_after_secs));
    }
    form::check_headers(&req, state.form_limits)?;
    let idempotency_key = idempotency_key(&req)?;
    // The body is read first, under its own bound and deadline: a slow client holds an upload slot, never a
    // verification's.
    let upload = state.uploads.clone().try_acquire_owned().map_err(|_| {
        tracing::warn!("upload refused: too many uploads in progress");
        ApiError::overloaded(state.retry_after_secs)
    })?;
    let form = form::read(&req, payload, state.form_limits).await?;
    drop(upload);
    let _permit = state.admission.clone().try_acquire_owned().map_err(|_| {
        tracing::warn!("admission refused: verification capacity full");
        ApiError::overloaded(state.retry_after_secs)
    })?;
    principal.allow_purpose(Some(form.meta.purpose))?;
    // Consent first, replays included: after withdrawal nothing about the subject is processed or answered.
    let pseudonym = state.store.pseudonym(form.meta.applicant_ref.expose()).api(state.retry_after_secs)?;
    let mut conn = state.store.acquire().await.api(state.retry_after_secs)?;
    require_consent(&mut conn, &principal.actor, &form.meta, &pseudonym, state.cross_border)
        .await
        .api(state.retry_after_secs)??;
    drop(conn);
    let digest = request_digest(&form);
    if let Some(key) = idempotency_key.as_deref() {
        if let Some(previous) = replay(&state, &principal, key, &digest).await? {
            return Ok(HttpResponse::Ok().json(VerificationResponse::for_principal(
                &principal,
                previous.id,
                &previous.verdict,
            )));
        }
    }
    let VerificationForm { selfie, document, meta, .. } = form;
    // The document's MRZ is read only when there is something to compare it with.
    let wants_mrz = meta.iin.is_some() || meta.birth_date.is_some();
    // The two photos are examined on two workers at once.
    let started = std::time::Instant::now();
    let (selfie, document) = tokio::join!(
        state.pool.run(move |p| p.examine_bytes(&selfie, Part::Selfie)),
        state.pool.run(move |p| p.examine_bytes_with(&document, Part::Document, wants_mrz)),
    );
    let selfie = selfie.map_err(|e| ApiError::internal(&e))?;
    let document = document.map_err(|e| ApiError::internal(&e))?;
    let evidence = Evidence::new(selfie.map_err(pipeline_error)?, document.map_err(pipeline_error)?);
    crate::metrics::observe_stage(crate::metrics::Stage::Verify, started.elapsed());
    let mut verdict = decide(&evidence, &state.thresholds);
    let subject = meta.applicant_ref.expose();
    let duplicate = evidence
        .selfie
        .embedding
        .as_ref()
        .and_then(|e| state.gallery.search(e, subject, state.thresholds.duplicate_min));
    if duplicate.is_some() {
        flag_duplicate(&mut verdict);
    }
    // The document portrait is searched too: one ID photo under several applicants is the classic reuse fraud.
    let reused = evidence
        .document
        .embedding
        .as_ref()
        .and_then(|e| state.gallery.search(e, subject, state.thresholds.duplicate_min));
    if reused.is_some() {
        flag_document_reuse(&mut verdict);
    }
    // What the document's machine-readable zone says against what the client says about the applicant.
    flag_document_data(&mut verdict, evidence.document.mrz.as_ref(), meta.iin.as_ref(), meta.birth_date.as_ref());
    // The case links the other applicant: the selfie's duplicate, else the document's.
    let duplicate = duplicate.or(reused);
    let id = Uuid::new_v4();
    let record = NewVerification {
        id,
        client: &principal.actor,
        meta: &meta,
        idempotency_key: idempotency_key.as_deref(),
        request_digest: &digest,
        verdict: &verdict,
        similarity: evidence.similarity,
        live_score: evidence.selfie.live_score,
    };
    let flagged = Flagged { case_id: needs_case(&verdict).then(Uuid::new_v4), duplicate: duplicate.as_ref() };
    match store(&state, &principal, &record, &evidence, &flagged).await {
        Ok(()) => {
            if let Some(template) = &evidence.selfie.embedding {
                state.gallery.insert(subject, id, template);
            }
        }
        Err(StoreFailure::ConsentGone) => {
            return Err(ApiError::new(ErrorCode::ConsentRequired, "consent was withdrawn during the verification"))
        }
        Err(StoreFailure::Store(StoreError::Conflict)) => {
            // A concurrent request with the same key won the race: answer as a replay of it.
            let key = idempotency_key.as_deref().unwrap_or_default();
            if let Some(previous) = replay(&state, &principal, key, &digest).await? {
                return Ok(HttpResponse::Ok().json(VerificationResponse::for_principal(
                    &principal,
                    previous.id,
                    &previous.verdict,
                )));
            }
            return Err(ApiError::new(ErrorCode::IdempotencyConflict, "idempotency key already used"));
        }
        Err(StoreFailure::Store(e)) => return Err(store_error(e, state.retry_after_secs)),
    }
    let span = tracing::Span::current();
    span.record("verification_id", tracing::field::display(id));
    span.record("decision", verdict.decision.as_str());
    crate::metrics::count_decision(verdict.decision.as_str());
    tracing::info!(liveness = verdict.liveness.as_str(), "verification stored");
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/verifications/{id}")))
        .json(VerificationResponse::for_principal(&principal, id, &verdict)))
}

/// The consent reference must name an active consent of the same subject (policy §4, §7), recorded by the same
/// client, one that allows cross-border transfer when the data is stored outside Kazakhstan. Consents hold the
/// subject's pseudonym, so `pseudonym` is the applicant's. The outer error is a store failure, the inner one the
/// refusal to answer.
async fn require_consent(
    conn: &mut sqlx::AnyConnection,
    client: &str,
    meta: &VerificationMeta,
    pseudonym: &str,
    cross_border: bool,
) -> Result<Result<(), ApiError>, StoreError> {
    let refused = || ApiError::new(ErrorCode::ConsentRequired, "no active consent of this subject under consent_ref");
    let Ok(id) = Uuid::parse_str(meta.consent_ref.expose()) else { return Ok(Err(refused())) };
    let consent = match consents::get(conn, id).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Ok(Err(refused())),
        Err(e) => return Err(e),
    };
    let owned = consent.recorded_by == client;
    if !owned || consent.subject_pseudonym != pseudonym || consent.withdrawn_at.is_some() {
        return Ok(Err(refused()));
    }
    if cross_border && !consent.cross_border {
        return Ok(Err(ApiError::new(
            ErrorCode::ConsentRequired,
            "storage is outside Kazakhstan: the consent must allow cross-border transfer",
        )));
    }
    Ok(Ok(()))
}

enum StoreFailure {
    ConsentGone,
    Store(StoreError),
}

impl From<StoreError> for StoreFailure {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<sqlx::Error> for StoreFailure {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

/// A case to open with the verification, and the other applicant it duplicates, if any.
struct Flagged<'a> {
    case_id: Option<Uuid>,
    duplicate: Option<&'a Hit>,
}

/// One transaction: consent still active, the verification row, the sealed selfie template, the case with its
/// sealed crops when flagged, the audit row.
async fn store(
    state: &AppState,
    principal: &Principal,
    record: &NewVerification<'_>,
    evidence: &Evidence,
    flagged: &Flagged<'_>,
) -> Result<(), StoreFailure> {
    let meta = record.meta;
    let subject = meta.applicant_ref.expose();
    let mut tx: WriteTx = state.store.begin_write().await?;
    let pseudonym = tx.pseudonym(subject);
    if require_consent(&mut tx, &principal.actor, meta, &pseudonym, state.cross_border).await?.is_err() {
        return Err(StoreFailure::ConsentGone);
    }
    insert_verification(&mut tx, record).await?;
    let needs_key = evidence.selfie.embedding.is_some() || flagged.case_id.is_some();
    let key = if needs_key { Some(biometrics::data_key(&mut tx, &state.kek, subject).await?) } else { None };
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
        cases::insert(&mut tx, &case).await?;
        if state.webhook {
            let event = CaseEvent {
                event: EventKind::CaseOpened,
                case_id,
                verification_id: record.id,
                status: CaseStatus::Open.as_str(),
                reasons: crate::domain::Reason::for_client(&record.verdict.reasons),
                outcome: None,
            };
            crate::notify::enqueue(&mut tx, &event).await?;
        }
        for (kind, crop) in [("selfie", &evidence.selfie.crop), ("document", &evidence.document.crop)] {
            let (Some(crop), Some(key)) = (crop, &key) else { continue };
            let png = crop.to_png().map_err(|_| StoreError::Corrupt("crop encoding"))?;
            let sealed = seal_crop(key, &png, case_id, kind, subject).map_err(StoreError::Vault)?;
            cases::insert_crop(&mut tx, case_id, kind, subject, &sealed).await?;
        }
    }
    if let (Some(template), Some(key)) = (&evidence.selfie.embedding, &key) {
        let template_id = Uuid::new_v4();
        let binding =
            TemplateBinding { record_id: template_id, verification_id: record.id, subject, purpose: meta.purpose };
        let sealed = seal_template(key, template, &binding).map_err(StoreError::Vault)?;
        let row = NewTemplate {
            id: template_id,
            verification_id: record.id,
            subject_ref: subject,
            purpose: meta.purpose,
            sealed: &sealed,
        };
        biometrics::insert_template(&mut tx, &row).await?;
    }
    let event = principal.event(Action::Verify, Some(meta.purpose), Some(subject), Outcome::Success);
    audit::append(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(())
}

#[utoipa::path(
    get, path = "/v1/verifications/{id}", operation_id = "getVerification",
    security(("bearer" = []), ("session" = [])),
    params(("id" = Uuid, Path), super::openapi::PurposeHeader),
    responses(
        (status = 200, description = "the verification", body = VerificationResponse),
        super::openapi::Refusals,
        (status = 404, description = "error", body = super::ErrorBody),
    )
)]
#[tracing::instrument(name = "verification.show", skip_all)]
async fn show(
    req: HttpRequest,
    path: web::Path<String>,
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::ReadVerification, &req)?;
    let id = Uuid::parse_str(&path).map_err(|_| ApiError::new(ErrorCode::NotFound, "no such resource"))?;
    let retry = state.retry_after_secs;
    let stored = state.store.verification(id).await.api(retry)?;
    if !principal.owns(stored.client.as_deref()) {
        return Err(ApiError::new(ErrorCode::NotFound, "no such resource"));
    }
    let event = principal.event(Action::ReadVerification, Some(purpose), Some(&stored.applicant_ref), Outcome::Success);
    state.audit(&event).await?;
    Ok(HttpResponse::Ok().json(VerificationResponse::for_principal(&principal, stored.id, &stored.verdict)))
}

/// This client's earlier verification under `key`: the same request replays it, a different one is a conflict.
/// Keys are scoped to the client: another client's key is simply unknown here.
async fn replay(
    state: &AppState,
    principal: &Principal,
    key: &str,
    digest: &str,
) -> Result<Option<StoredVerification>, ApiError> {
    match state.store.verification_by_idempotency_key(&principal.actor, key).await {
        Ok(Some(previous)) if previous.request_digest == digest => Ok(Some(previous)),
        Ok(Some(_)) => {
            Err(ApiError::new(ErrorCode::IdempotencyConflict, "this idempotency key was used for a different request"))
        }
        Ok(None) => Ok(None),
        Err(e) => Err(store_error(e, state.retry_after_secs)),
    }
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or("");
    let ok = !key.is_empty() && key.len() <= 128 && key.bytes().all(|b| b.is_ascii_graphic());
    if !ok {
        return Err(ApiError::new(
            ErrorCode::InvalidIdempotencyKey,
            "Idempotency-Key must be 1-128 visible ASCII characters",
        ));
    }
    Ok(Some(key.to_owned()))
}

/// A one-way digest of the whole request, to tell a retry from a different request under the same key.
fn request_digest(form: &VerificationForm) -> String {
    let mut h = Sha256::new();
    for part in [&*form.meta_raw, &*form.selfie, &*form.document] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    hex::encode(h.finalize())
}

/// The gallery is still being read from the store.
#[derive(Debug, thiserror::Error)]
#[error("the 1:N gallery is still loading")]
struct GalleryLoading;

fn pipeline_error(e: PipelineError) -> ApiError {
    match e {
        PipelineError::Decode { part, source } => {
            let code = match source {
                DecodeError::Empty => ErrorCode::EmptyPart,
                DecodeError::TooManyBytes => ErrorCode::PayloadTooLarge,
                DecodeError::UnsupportedFormat => ErrorCode::UnsupportedImageFormat,
                DecodeError::TooManyPixels => ErrorCode::ImageTooLarge,
                DecodeError::Corrupt => ErrorCode::CorruptImage,
            };
            ApiError::new(code, format!("{}: {source}", part.as_str()))
        }
        PipelineError::Inference(e) => ApiError::internal(&e),
    }
}
