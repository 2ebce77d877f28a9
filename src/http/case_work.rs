//! Case work that leaves the case open (crate::review::notes behind it): notes, and asking for a new capture.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::{AppState, Principal};
use crate::error::ApiError;
use crate::policy::Permission;
use crate::review::case_id;
use crate::store::case_notes::CaseNote;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoteRequest {
    /// About the case only: no personal data beyond it. Never sent to the webhook.
    #[schema(min_length = 1, max_length = 2000)]
    text: String,
}

#[utoipa::path(
    post, path = "/v1/cases/{id}/notes", operation_id = "addCaseNote", tag = "cases",
    security(("bearer" = []), ("session" = [])),
    params(("id" = Uuid, Path), super::openapi::PurposeHeader),
    request_body = NoteRequest,
    responses(
        (status = 201, description = "the note as stored", body = CaseNote),
        (status = 400, description = "error", body = super::ErrorBody),
        super::openapi::Refusals,
        (status = 404, description = "error", body = super::ErrorBody),
    )
)]
pub(super) async fn add_note(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::DecideCase, &req)?;
    let body: NoteRequest = super::parse_json(&body)?;
    let note = state.review.add_note(&principal, case_id(&path)?, &body.text, purpose).await?;
    Ok(HttpResponse::Created().json(note))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct RecaptureRequested {
    case_id: Uuid,
    verification_id: Uuid,
}

#[utoipa::path(
    post, path = "/v1/cases/{id}/recapture", operation_id = "requestRecapture", tag = "cases",
    security(("bearer" = []), ("session" = [])),
    params(("id" = Uuid, Path), super::openapi::PurposeHeader),
    responses(
        (status = 202, description = "recorded, and queued for the webhook as `case.recapture_requested`; \
            the case stays as it is", body = RecaptureRequested),
        super::openapi::Refusals,
        (status = 404, description = "error", body = super::ErrorBody),
        (status = 409, description = "error", body = super::ErrorBody),
    )
)]
pub(super) async fn recapture(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::DecideCase, &req)?;
    let id = case_id(&path)?;
    let verification_id = state.review.request_recapture(&principal, id, purpose).await?;
    Ok(HttpResponse::Accepted().json(RecaptureRequested { case_id: id, verification_id }))
}
