//! `POST /v1/verifications` and `GET /v1/verifications/{id}`: the onboarding client's whole API.
//! Responses carry the decision, the liveness label and reason codes only: no scores, embeddings or images.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::form::{self, VerificationForm};
use super::AppState;
use crate::decision::decide;
use crate::domain::{Decision, Liveness, Reason, Verdict};
use crate::error::{ApiError, ErrorCode};
use crate::pipeline::{DecodeError, PipelineError};
use crate::store::{NewVerification, StoreError, StoredVerification};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/verifications").route(web::post().to(create)).default_service(web::to(method_not_allowed)),
    )
    .service(web::resource("/verifications/{id}").route(web::get().to(show)));
}

#[derive(Serialize)]
struct VerificationResponse {
    verification_id: Uuid,
    decision: Decision,
    liveness: Liveness,
    reasons: Vec<Reason>,
}

impl VerificationResponse {
    fn new(id: Uuid, verdict: Verdict) -> Self {
        Self { verification_id: id, decision: verdict.decision, liveness: verdict.liveness, reasons: verdict.reasons }
    }
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(ErrorCode::MethodNotAllowed, "method not allowed"))
}

#[tracing::instrument(name = "verification.create", skip_all, fields(verification_id, decision))]
async fn create(req: HttpRequest, payload: web::Payload, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    form::check_headers(&req, state.form_limits)?;
    let idempotency_key = idempotency_key(&req)?;
    let _permit = state.admission.clone().try_acquire_owned().map_err(|_| {
        tracing::warn!("admission refused: verification capacity full");
        ApiError::overloaded(state.retry_after_secs)
    })?;
    let form = form::read(&req, payload, state.form_limits).await?;
    let digest = request_digest(&form);
    if let Some(key) = idempotency_key.as_deref() {
        if let Some(previous) = replay(&state, key, &digest).await? {
            return Ok(HttpResponse::Ok().json(VerificationResponse::new(previous.id, previous.verdict)));
        }
    }
    let VerificationForm { selfie, document, meta, .. } = form;
    let evidence = state
        .pool
        .run(move |pipeline| pipeline.verify(&selfie, &document))
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(pipeline_error)?;
    let verdict = decide(&evidence, &state.thresholds);
    let id = Uuid::new_v4();
    let record = NewVerification {
        id,
        meta: &meta,
        idempotency_key: idempotency_key.as_deref(),
        request_digest: &digest,
        verdict: &verdict,
        similarity: evidence.similarity,
        live_score: evidence.selfie.live_score,
    };
    match state.store.insert_verification(&record).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => {
            // A concurrent request with the same key won the race: answer as a replay of it.
            let key = idempotency_key.as_deref().unwrap_or_default();
            if let Some(previous) = replay(&state, key, &digest).await? {
                return Ok(HttpResponse::Ok().json(VerificationResponse::new(previous.id, previous.verdict)));
            }
            return Err(ApiError::new(ErrorCode::IdempotencyConflict, "idempotency key already used"));
        }
        Err(e) => return Err(store_error(e, state.retry_after_secs)),
    }
    let span = tracing::Span::current();
    span.record("verification_id", tracing::field::display(id));
    span.record("decision", verdict.decision.as_str());
    tracing::info!(liveness = verdict.liveness.as_str(), "verification stored");
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/verifications/{id}")))
        .json(VerificationResponse::new(id, verdict)))
}

#[tracing::instrument(name = "verification.show", skip_all)]
async fn show(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let id = Uuid::parse_str(&path).map_err(|_| ApiError::new(ErrorCode::NotFound, "no such verification"))?;
    let stored = state.store.verification(id).await.map_err(|e| store_error(e, state.retry_after_secs))?;
    Ok(HttpResponse::Ok().json(VerificationResponse::new(stored.id, stored.verdict)))
}

/// An earlier verification under `key`: the same request replays it, a different one is a conflict.
async fn replay(state: &AppState, key: &str, digest: &str) -> Result<Option<StoredVerification>, ApiError> {
    match state.store.verification_by_idempotency_key(key).await {
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
    for part in [&form.meta_raw, &form.selfie, &form.document] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    hex::encode(h.finalize())
}

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

fn store_error(e: StoreError, retry_after: u64) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::new(ErrorCode::NotFound, "no such verification"),
        StoreError::Unavailable(_) => ApiError::unavailable(&e, retry_after),
        other => ApiError::internal(&other),
    }
}
