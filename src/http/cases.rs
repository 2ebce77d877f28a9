//! The review API (crate::review behind it): the case queue, a case, its two face crops, assignment and the
//! decision. Handlers read the request, call the core and shape the answer.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{AppState, Principal};
use crate::domain::Reason;
use crate::error::{ApiError, ErrorCode};
use crate::policy::Permission;
use crate::review::{case_id, CaseFilter, CaseOutcome};
use crate::store::cases::CaseStatus;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/cases", web::get().to(list))
        .route("/cases/{id}", web::get().to(show))
        .route("/cases/{id}/crops/{kind}", web::get().to(crop))
        .route("/cases/{id}/assign", web::post().to(assign))
        .route("/cases/{id}/decision", web::post().to(decide));
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    reason: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

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
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let offset = query.offset.unwrap_or(0).max(0);
    let found = state.review.list(&principal, purpose, &CaseFilter { status, reason, limit, offset }).await?;
    let items: Vec<_> = found
        .iter()
        .map(|c| {
            serde_json::json!({
                "case_id": c.case_id, "verification_id": c.verification_id, "status": c.status,
                "reasons": c.reasons, "assigned_to": c.assigned_to, "created_at": c.created_at,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items, "limit": limit, "offset": offset })))
}

async fn show(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::ReadCase, &req)?;
    let view = state.review.show(&principal, case_id(&path)?, purpose).await?;
    let mut body = serde_json::to_value(&view.case).map_err(|e| ApiError::internal(&e))?;
    body["duplicate_case_id"] = serde_json::to_value(view.duplicate_case_id).map_err(|e| ApiError::internal(&e))?;
    Ok(HttpResponse::Ok().json(body))
}

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

pub(crate) fn png_response(png: zeroize::Zeroizing<Vec<u8>>) -> HttpResponse {
    HttpResponse::Ok().content_type("image/png").insert_header(("Cache-Control", "no-store")).body(png.to_vec())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignRequest {
    /// Defaults to the caller.
    analyst: Option<String>,
}

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
    Ok(HttpResponse::Ok().json(serde_json::json!({ "case_id": id, "assigned_to": analyst })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionRequest {
    outcome: CaseOutcome,
    comment: String,
}

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
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "case_id": updated.case_id, "status": updated.status, "outcome": updated.outcome,
    })))
}
