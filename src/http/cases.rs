//! The review API (crate::review behind it): the case queue, a case, its two face crops, assignment and the
//! decision (notes and requests for a new capture: case_work.rs). Handlers read the request, call the core and shape the answer.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::{AppState, Principal};
use crate::domain::Reason;
use crate::error::{ApiError, ErrorCode};
use crate::policy::Permission;
use crate::review::{case_id, CaseFilter, CaseOutcome};
use crate::store::case_notes::CaseNote;
use crate::store::cases::{CaseStatus, Sort};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/cases", web::get().to(list))
        .route("/cases/{id}", web::get().to(show))
        .route("/cases/{id}/crops/{kind}", web::get().to(crop))
        .route("/cases/{id}/evidence", web::get().to(evidence))
        .route("/cases/{id}/assign", web::post().to(assign))
        .route("/cases/{id}/decision", web::post().to(decide))
        .route("/cases/{id}/notes", web::post().to(super::case_work::add_note))
        .route("/cases/{id}/recapture", web::post().to(super::case_work::recapture));
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    reason: Option<String>,
    sort: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// One case in the queue.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct CaseSummary {
    case_id: Uuid,
    verification_id: Uuid,
    status: CaseStatus,
    reasons: Vec<Reason>,
    assigned_to: Option<String>,
    created_at: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct CasePage {
    items: Vec<CaseSummary>,
    limit: i64,
    offset: i64,
}

#[utoipa::path(
    get, path = "/v1/cases", operation_id = "listCases",
    security(("bearer" = []), ("session" = [])),
    params(
        super::openapi::PurposeHeader,
        ("status" = Option<CaseStatus>, Query),
        ("reason" = Option<String>, Query),
        ("sort" = Option<Sort>, Query, description = "by opening time; default `oldest`"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 200),
        ("offset" = Option<i64>, Query, minimum = 0),
    ),
    responses(
        (status = 200, description = "a page of cases", body = CasePage),
        (status = 400, description = "error", body = super::ErrorBody),
        super::openapi::Refusals,
    )
)]
async fn list(
    principal: Principal,
    req: HttpRequest,
    query: web::Query<ListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::ReadCase, &req)?;
    let bad = |m: &'static str| ApiError::new(ErrorCode::InvalidBody, m);
    let status = query.status.as_deref().map(|s| CaseStatus::parse(s).ok_or(bad("unknown status"))).transpose()?;
    let reason = query
        .reason
        .as_deref()
        .map(|r| {
            serde_json::from_value::<Reason>(serde_json::Value::String(r.to_owned())).map_err(|_| bad("unknown reason"))
        })
        .transpose()?;
    let sort = query.sort.as_deref().map(|s| Sort::parse(s).ok_or(bad("unknown sort"))).transpose()?;
    let sort = sort.unwrap_or_default();
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let offset = query.offset.unwrap_or(0).max(0);
    let found = state.review.list(&principal, purpose, &CaseFilter { status, reason, sort, limit, offset }).await?;
    let items: Vec<_> = found
        .into_iter()
        .map(|c| CaseSummary {
            case_id: c.case_id,
            verification_id: c.verification_id,
            status: c.status,
            reasons: c.reasons,
            assigned_to: c.assigned_to,
            created_at: c.created_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(CasePage { items, limit, offset }))
}

/// A case as analysts see it, with the case of the applicant it duplicates, if any, and its notes, oldest first.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct CaseView {
    #[serde(flatten)]
    case: crate::store::cases::Case,
    duplicate_case_id: Option<Uuid>,
    notes: Vec<CaseNote>,
}

#[utoipa::path(
    get, path = "/v1/cases/{id}", operation_id = "getCase",
    security(("bearer" = []), ("session" = [])),
    params(("id" = Uuid, Path), super::openapi::PurposeHeader),
    responses(
        (status = 200, description = "the case", body = CaseView),
        super::openapi::Refusals,
        (status = 404, description = "error", body = super::ErrorBody),
    )
)]
async fn show(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::ReadCase, &req)?;
    let view = state.review.show(&principal, case_id(&path)?, purpose).await?;
    Ok(HttpResponse::Ok().json(CaseView {
        case: view.case,
        duplicate_case_id: view.duplicate_case_id,
        notes: view.notes,
    }))
}

#[utoipa::path(
    get, path = "/v1/cases/{id}/crops/{kind}", operation_id = "getCaseCrop",
    security(("bearer" = []), ("session" = [])),
    params(("id" = Uuid, Path), ("kind" = inline(super::openapi::CropKind), Path), super::openapi::PurposeHeader),
    responses(
        (status = 200, description = "PNG", content_type = "image/png", body = super::openapi::Png),
        super::openapi::Refusals,
        (status = 404, description = "error", body = super::ErrorBody),
    )
)]
async fn crop(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::ViewCrop, &req)?;
    let (raw_id, kind) = path.into_inner();
    let png = state.review.crop(&principal, case_id(&raw_id)?, &kind, purpose).await?;
    Ok(png_response(png))
}

#[utoipa::path(
    get, path = "/v1/cases/{id}/evidence", operation_id = "getCaseEvidence",
    security(("bearer" = []), ("session" = [])),
    params(("id" = Uuid, Path), super::openapi::PurposeHeader),
    responses(
        (status = 200, description = "the signed evidence package (ZIP: record.json, signature.json, README.txt, \
            crops/selfie.png, crops/document.png)", content_type = "application/zip", body = super::openapi::Zip),
        super::openapi::Refusals,
        (status = 404, description = "error", body = super::ErrorBody),
    )
)]
async fn evidence(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::ExportEvidence, &req)?;
    let id = case_id(&path)?;
    let zip = state.evidence.case(&principal, id, purpose).await?;
    Ok(super::openapi::zip_response(&format!("case-{id}"), zip))
}

pub(crate) fn png_response(png: zeroize::Zeroizing<Vec<u8>>) -> HttpResponse {
    HttpResponse::Ok().content_type("image/png").insert_header(("Cache-Control", "no-store")).body(png.to_vec())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssignRequest {
    /// Defaults to the caller.
    analyst: Option<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Assigned {
    case_id: Uuid,
    assigned_to: String,
}

#[utoipa::path(
    post, path = "/v1/cases/{id}/assign", operation_id = "assignCase",
    security(("bearer" = []), ("session" = [])),
    params(("id" = Uuid, Path), super::openapi::PurposeHeader),
    request_body = Option<AssignRequest>,
    responses(
        (status = 200, description = "assigned", body = Assigned),
        (status = 400, description = "error", body = super::ErrorBody),
        super::openapi::Refusals,
        (status = 404, description = "error", body = super::ErrorBody),
        (status = 409, description = "error", body = super::ErrorBody),
    )
)]
async fn assign(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::AssignCase, &req)?;
    let body: AssignRequest = if body.is_empty() { AssignRequest { analyst: None } } else { super::parse_json(&body)? };
    let id = case_id(&path)?;
    let analyst = state.review.assign(&principal, id, body.analyst, purpose).await?;
    Ok(HttpResponse::Ok().json(Assigned { case_id: id, assigned_to: analyst }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecisionRequest {
    outcome: CaseOutcome,
    #[schema(min_length = 1, max_length = 2000)]
    comment: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Decided {
    case_id: Uuid,
    status: CaseStatus,
    /// `cleared` or `confirmed_fraud` (while pending sign-off: the one proposed).
    outcome: Option<String>,
}

#[utoipa::path(
    post, path = "/v1/cases/{id}/decision", operation_id = "decideCase",
    security(("bearer" = []), ("session" = [])),
    params(("id" = Uuid, Path), super::openapi::PurposeHeader),
    request_body = DecisionRequest,
    responses(
        (status = 200, description = "decided", body = Decided),
        (status = 400, description = "error", body = super::ErrorBody),
        super::openapi::Refusals,
        (status = 404, description = "error", body = super::ErrorBody),
        (status = 409, description = "error", body = super::ErrorBody),
    )
)]
async fn decide(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::DecideCase, &req)?;
    let body: DecisionRequest = super::parse_json(&body)?;
    let updated = state.review.decide(&principal, case_id(&path)?, body.outcome, &body.comment, purpose).await?;
    Ok(HttpResponse::Ok().json(Decided { case_id: updated.case_id, status: updated.status, outcome: updated.outcome }))
}
