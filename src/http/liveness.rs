//! Liveness sessions over HTTP: the onboarding client opens one (`POST /v1/liveness/sessions`); the applicant's
//! device, holding the capture token, reads the challenge and sends each attempt's frames. Answers carry the result
//! and attempts left only: no scores, no reasons (those stay with analysts).

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::form::{self, Pace};
use super::{AppState, Principal};
use crate::domain::{ApplicantRef, ConsentRef, Purpose};
use crate::error::{ApiError, ErrorCode};
use crate::liveness::{Action, AttemptResult, Flash, Frame, LivenessError};
use crate::pipeline::UploadBytes;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/liveness/sessions").route(web::post().to(create)))
        .service(web::resource("/liveness/sessions/{id}/challenge").route(web::get().to(challenge)))
        .service(web::resource("/liveness/sessions/{id}/frames").route(web::post().to(frames)));
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewSessionRequest {
    /// The lender's applicant reference.
    applicant_ref: String,
    /// An active consent of this applicant, recorded by this client.
    consent_ref: String,
    /// `identification` or `anti_fraud` (default `identification`).
    purpose: Option<String>,
}

/// A new session. `capture_token` is shown this once: hand it to the applicant's device (the capture page takes it
/// in the URL fragment: `/capture/{session_id}#token=...`).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct CreatedSession {
    session_id: Uuid,
    capture_token: String,
    /// `/capture/{session_id}#token={capture_token}`.
    capture_url: String,
    challenges: Vec<Action>,
    flashes: Vec<Flash>,
    expires_at: String,
    attempts_left: u32,
}

/// The challenge as the capture page or app runs it.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SessionChallenge {
    session_id: Uuid,
    challenges: Vec<Action>,
    flashes: Vec<Flash>,
    expires_at: String,
    attempts_left: u32,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AttemptAnswer {
    result: AttemptResult,
    attempts_left: u32,
}

fn session_id(path: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(path).map_err(|_| ApiError::new(ErrorCode::NotFound, "no such resource"))
}

/// `Authorization: Capture TOKEN`.
fn capture_token(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("capture") && !token.trim().is_empty() => {
            Ok(token.trim().to_owned())
        }
        _ => Err(LivenessError::BadToken.into()),
    }
}

#[utoipa::path(
    post, path = "/v1/liveness/sessions", operation_id = "createLivenessSession",
    security(("bearer" = [])),
    request_body(content = NewSessionRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "the session, its challenge and the capture token", body = CreatedSession),
        (status = 400, description = "error", body = super::ErrorBody),
        super::openapi::Refusals,
        (status = 503, description = "error", body = super::ErrorBody),
    )
)]
async fn create(
    principal: Principal,
    body: web::Json<NewSessionRequest>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let bad = |m: &str| ApiError::new(ErrorCode::InvalidBody, m.to_owned());
    let applicant = ApplicantRef::parse(&body.applicant_ref)
        .map_err(|_| bad("applicant_ref must be 1 to 128 characters of A-Z a-z 0-9 . _ : -"))?;
    let consent = ConsentRef::parse(&body.consent_ref)
        .map_err(|_| bad("consent_ref must be 1 to 128 characters of A-Z a-z 0-9 . _ : -"))?;
    let purpose = match body.purpose.as_deref() {
        None => Purpose::Identification,
        Some(p) => Purpose::parse(p).ok_or_else(|| {
            ApiError::new(
                ErrorCode::PurposeNotPermitted,
                "purpose is not permitted: biometric data is processed only for identification and anti_fraud",
            )
        })?,
    };
    let created = state.liveness.create(&principal, applicant, consent, purpose).await?;
    let location = format!("/v1/liveness/sessions/{}", created.id);
    Ok(HttpResponse::Created().insert_header((header::LOCATION, location)).json(CreatedSession {
        session_id: created.id,
        capture_url: format!("/capture/{}#token={}", created.id, created.capture_token.as_str()),
        capture_token: created.capture_token.to_string(),
        challenges: created.challenge.actions,
        flashes: created.challenge.flashes,
        expires_at: created.expires_at,
        attempts_left: created.attempts_left,
    }))
}

#[utoipa::path(
    get, path = "/v1/liveness/sessions/{id}/challenge", operation_id = "getLivenessChallenge",
    security(("capture" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "the challenge to perform", body = SessionChallenge),
        (status = 401, description = "no or a wrong capture token (unknown sessions answer the same)",
            body = super::ErrorBody),
        (status = 410, description = "the session expired, finished or has no attempts left", body = super::ErrorBody),
    )
)]
async fn challenge(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&path)?;
    let token = capture_token(&req)?;
    let opened = state.liveness.opened(id, &token).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(SessionChallenge {
        session_id: opened.id,
        challenges: opened.challenge.actions,
        flashes: opened.challenge.flashes,
        expires_at: opened.expires_at,
        attempts_left: opened.attempts_left,
    }))
}

#[utoipa::path(
    post, path = "/v1/liveness/sessions/{id}/frames", operation_id = "sendLivenessFrames",
    security(("capture" = [])),
    params(("id" = Uuid, Path)),
    request_body(content = super::openapi::FramesUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "the attempt's result", body = AttemptAnswer),
        (status = 400, description = "error", body = super::ErrorBody),
        (status = 401, description = "no or a wrong capture token", body = super::ErrorBody),
        (status = 408, description = "the upload was too slow or stalled (upload_too_slow)", body = super::ErrorBody),
        (status = 410, description = "the session expired, finished or has no attempts left", body = super::ErrorBody),
        (status = 413, description = "error", body = super::ErrorBody),
        (status = 415, description = "error", body = super::ErrorBody),
        (status = 503, description = "error", body = super::ErrorBody),
    )
)]
async fn frames(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = session_id(&path)?;
    let token = capture_token(&req)?;
    // The token and the session's state are checked before the body is read.
    state.liveness.opened(id, &token).await?;
    form::check_headers(&req, state.form_limits)?;
    let upload = state.uploads.clone().try_acquire_owned().map_err(|_| {
        tracing::warn!("upload refused: too many uploads in progress");
        ApiError::overloaded()
    })?;
    let frames = read_frames(&req, payload, &state).await?;
    drop(upload);
    let attempted = state.liveness.attempt(id, &token, frames).await?;
    Ok(HttpResponse::Ok().json(AttemptAnswer { result: attempted.result, attempts_left: attempted.attempts_left }))
}

/// Parts named `frame`, in capture order, each a JPEG whose filename is its capture time in milliseconds from the
/// attempt's first frame (`0.jpg`, `104.jpg`, ...).
async fn read_frames(req: &HttpRequest, payload: web::Payload, state: &AppState) -> Result<Vec<Frame>, ApiError> {
    let settings = &state.liveness.settings;
    let limits = state.form_limits;
    let mut multipart = Multipart::new(req.headers(), payload);
    let pace = Pace::start(limits);
    let mut frames = Vec::new();
    let mut total = 0usize;
    let bad = |m: String| ApiError::new(ErrorCode::InvalidFrames, m);
    while let Some(field) = pace.next(&mut multipart, total).await? {
        let mut field = field.map_err(form::malformed)?;
        if field.name() != Some("frame") {
            return Err(ApiError::new(ErrorCode::UnexpectedField, "only parts named frame are accepted"));
        }
        if frames.len() == settings.max_frames {
            return Err(bad(format!("an attempt carries at most {} frames", settings.max_frames)));
        }
        let at_ms = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .and_then(|f| f.split('.').next())
            .and_then(|n| n.parse::<u32>().ok())
            .ok_or_else(
                || bad("each frame's filename must be its capture time in milliseconds, e.g. 104.jpg".into()),
            )?;
        let mut jpeg = UploadBytes::new();
        while let Some(chunk) = pace.next(&mut field, total).await? {
            let chunk = chunk.map_err(form::malformed)?;
            total += chunk.len();
            if jpeg.len() + chunk.len() > settings.max_frame_bytes || total > limits.request_bytes {
                return Err(form::too_large("frame"));
            }
            jpeg.extend_from_slice(&chunk);
        }
        if jpeg.is_empty() {
            return Err(ApiError::new(ErrorCode::EmptyPart, "a frame is empty"));
        }
        frames.push(Frame { at_ms, jpeg });
    }
    Ok(frames)
}
