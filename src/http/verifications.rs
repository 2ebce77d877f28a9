//! `POST /v1/verifications` and `GET /v1/verifications/{id}`: the onboarding client's whole API, in front of
//! crate::verification. Responses carry the decision, the liveness label and reason codes only: no scores,
//! embeddings or images.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use uuid::Uuid;

use super::{form, AppState, Principal};
use crate::domain::{Decision, Liveness, Reason, Verdict};
use crate::error::{ApiError, ErrorCode};
use crate::policy::Permission;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/verifications").route(web::post().to(create)).default_service(web::to(method_not_allowed)),
    )
    .service(web::resource("/verifications/{id}").route(web::get().to(show)))
    .service(web::resource("/verifications/{id}/evidence").route(web::get().to(evidence)));
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
async fn create(
    principal: Principal,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    principal.require(Permission::CreateVerification)?;
    state.verifications.check_ready()?;
    form::check_headers(&req, state.form_limits)?;
    let idempotency_key = idempotency_key(&req)?;
    // The body is read first, under its own bound and deadline: a slow client holds an upload slot, never a
    // verification's.
    let upload = state.uploads.clone().try_acquire_owned().map_err(|_| {
        tracing::warn!("upload refused: too many uploads in progress");
        ApiError::overloaded()
    })?;
    let submission = form::read(&req, payload, state.form_limits).await?;
    drop(upload);
    let verified = state.verifications.verify(&principal, submission, idempotency_key.as_deref()).await?;
    let answer = VerificationResponse::for_principal(&principal, verified.id, &verified.verdict);
    if verified.replayed {
        return Ok(HttpResponse::Ok().json(answer));
    }
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/verifications/{}", verified.id)))
        .json(answer))
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
async fn show(
    req: HttpRequest,
    path: web::Path<String>,
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::ReadVerification, &req)?;
    let id = Uuid::parse_str(&path).map_err(|_| ApiError::new(ErrorCode::NotFound, "no such resource"))?;
    let stored = state.verifications.show(&principal, id, purpose).await?;
    Ok(HttpResponse::Ok().json(VerificationResponse::for_principal(&principal, stored.id, &stored.verdict)))
}

#[utoipa::path(
    get, path = "/v1/verifications/{id}/evidence", operation_id = "getVerificationEvidence",
    security(("bearer" = []), ("session" = [])),
    params(("id" = Uuid, Path), super::openapi::PurposeHeader),
    responses(
        (status = 200, description = "the signed evidence package (ZIP: record.json, signature.json, README.txt)",
            content_type = "application/zip", body = super::openapi::Zip),
        super::openapi::Refusals,
        (status = 404, description = "error", body = super::ErrorBody),
    )
)]
async fn evidence(
    req: HttpRequest,
    path: web::Path<String>,
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::ExportEvidence, &req)?;
    let id = Uuid::parse_str(&path).map_err(|_| ApiError::new(ErrorCode::NotFound, "no such resource"))?;
    let zip = state.evidence.verification(&principal, id, purpose).await?;
    Ok(super::openapi::zip_response(&format!("verification-{id}"), zip))
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
