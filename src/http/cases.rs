//! Fraud analysts' review: the case queue, a case, its two face crops (decrypted on demand), assignment and the
//! decision (clear, or confirm fraud with a supervisor's sign-off). Every read and write is audited.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::{AppState, Principal, StoreResultExt};
use crate::audit::{self, Action, Outcome};
use crate::domain::{Purpose, Reason};
use crate::error::{ApiError, ErrorCode};
use crate::policy::Permission;
use crate::store::biometrics;
use crate::store::cases::{self, CaseStatus};
use crate::vault::{open_crop, DataKey};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/cases", web::get().to(list))
        .route("/cases/{id}", web::get().to(show))
        .route("/cases/{id}/crops/{kind}", web::get().to(crop))
        .route("/cases/{id}/assign", web::post().to(assign))
        .route("/cases/{id}/decision", web::post().to(decide));
}

/// A case id from a path segment; anything else is an unknown case.
pub(crate) fn case_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::new(ErrorCode::NotFound, "no such case"))
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    reason: Option<String>,
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
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let offset = query.offset.unwrap_or(0).max(0);
    let retry = state.retry_after_secs;
    let mut tx = state.store.begin_write().await.api(retry)?;
    let found = cases::list(&mut tx, status, reason, limit, offset).await.api(retry)?;
    audit::append(&mut tx, &principal.event(Action::ListCases, Some(purpose), None, Outcome::Success))
        .await
        .api(retry)?;
    tx.commit().await.api(retry)?;
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

/// Loads a case and records that `principal` performed `action` on it, in one transaction.
pub(crate) async fn audited_case(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    action: Action,
    purpose: Purpose,
) -> Result<cases::Case, ApiError> {
    let retry = state.retry_after_secs;
    let mut tx = state.store.begin_write().await.api(retry)?;
    let case = cases::get(&mut tx, id).await.api(retry)?;
    let event = principal.event(action, Some(purpose), Some(&case.subject_ref), Outcome::Success);
    audit::append(&mut tx, &event).await.api(retry)?;
    tx.commit().await.api(retry)?;
    Ok(case)
}

/// A case as analysts see it, with the case of the applicant it duplicates, if any.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct CaseView {
    #[serde(flatten)]
    case: cases::Case,
    duplicate_case_id: Option<Uuid>,
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
    let case = audited_case(&state, &principal, case_id(&path)?, Action::ViewCase, purpose).await?;
    let retry = state.retry_after_secs;
    let mut conn = state.store.acquire().await.api(retry)?;
    let linked = match case.duplicate_verification_id {
        Some(v) => cases::by_verification(&mut conn, v).await.api(retry)?.map(|c| c.case_id),
        None => None,
    };
    Ok(HttpResponse::Ok().json(CaseView { case, duplicate_case_id: linked }))
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
    let png = crop_png(&state, &principal, case_id(&raw_id)?, &kind, purpose).await?;
    Ok(png_response(png))
}

pub(crate) fn png_response(png: zeroize::Zeroizing<Vec<u8>>) -> HttpResponse {
    HttpResponse::Ok().content_type("image/png").insert_header(("Cache-Control", "no-store")).body(png.to_vec())
}

/// Decrypts one crop of a case for `principal` (who must hold view_crop), auditing the view. An integrity failure
/// raises a security event and answers 500.
pub(crate) async fn crop_png(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    kind: &str,
    purpose: Purpose,
) -> Result<zeroize::Zeroizing<Vec<u8>>, ApiError> {
    principal.require(Permission::ViewCrop)?;
    if kind != "selfie" && kind != "document" {
        return Err(ApiError::new(ErrorCode::NotFound, "crops are `selfie` or `document`"));
    }
    let retry = state.retry_after_secs;
    let mut tx = state.store.begin_write().await.api(retry)?;
    let case = cases::get(&mut tx, id).await.api(retry)?;
    let sealed = cases::crop(&mut tx, id, kind).await.api(retry)?;
    let wrapped = biometrics::wrapped_key(&mut tx, &case.subject_ref)
        .await
        .api(retry)?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "the subject's biometric data was erased"))?;
    let png = DataKey::unwrap(&wrapped, &state.kek, &case.subject_ref)
        .and_then(|key| open_crop(&key, &sealed, id, kind, &case.subject_ref));
    let Ok(png) = png else {
        let detail = format!("crop {kind} of case {id} failed its integrity check");
        audit::raise(&mut tx, audit::SecurityEvent::AeadFailure, audit::Severity::Critical, &detail)
            .await
            .api(retry)?;
        tx.commit().await.api(retry)?;
        return Err(ApiError::new(ErrorCode::Internal, "internal error"));
    };
    let event = principal.event(Action::ViewCrop, Some(purpose), Some(&case.subject_ref), Outcome::Success);
    audit::append(&mut tx, &event).await.api(retry)?;
    audit::check_access_burst(&mut tx, &principal.actor, state.burst_threshold, state.burst_window_secs)
        .await
        .api(retry)?;
    tx.commit().await.api(retry)?;
    Ok(png)
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
    let analyst = body.analyst.unwrap_or_else(|| principal.actor.clone());
    if analyst != principal.actor && !crate::policy::permits(principal.role, Permission::SignOffFraud) {
        return Err(ApiError::new(ErrorCode::Forbidden, "only supervisors assign cases to others"));
    }
    let id = case_id(&path)?;
    let retry = state.retry_after_secs;
    let mut tx = state.store.begin_write().await.api(retry)?;
    let case = cases::get(&mut tx, id).await.api(retry)?;
    if !cases::assign(&mut tx, id, &analyst).await.api(retry)? {
        return Err(ApiError::new(ErrorCode::CaseClosed, "the case is closed"));
    }
    let event = principal.event(Action::AssignCase, Some(purpose), Some(&case.subject_ref), Outcome::Success);
    audit::append(&mut tx, &event).await.api(retry)?;
    tx.commit().await.api(retry)?;
    Ok(HttpResponse::Ok().json(Assigned { case_id: id, assigned_to: analyst }))
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CaseOutcome {
    ConfirmFraud,
    Clear,
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
    let updated = decide_case(&state, &principal, case_id(&path)?, body.outcome, &body.comment, purpose).await?;
    Ok(HttpResponse::Ok().json(Decided { case_id: updated.case_id, status: updated.status, outcome: updated.outcome }))
}

/// Open case: `clear` closes it, `confirm_fraud` waits for a supervisor. Pending case: a supervisor other than
/// the proposer signs the confirmation off, or clears it. Audited in the same transaction.
pub(crate) async fn decide_case(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    outcome: CaseOutcome,
    comment: &str,
    purpose: Purpose,
) -> Result<cases::Case, ApiError> {
    principal.require(Permission::DecideCase)?;
    if comment.trim().is_empty() || comment.len() > 2000 {
        return Err(ApiError::new(ErrorCode::InvalidBody, "a comment of 1 to 2000 characters is required"));
    }
    let retry = state.retry_after_secs;
    let mut tx = state.store.begin_write().await.api(retry)?;
    let case = cases::get(&mut tx, id).await.api(retry)?;
    let stored_outcome = match outcome {
        CaseOutcome::ConfirmFraud => "confirmed_fraud",
        CaseOutcome::Clear => "cleared",
    };
    let (done, action) = match case.status {
        CaseStatus::Open => {
            let to = if outcome == CaseOutcome::Clear { CaseStatus::Closed } else { CaseStatus::PendingSignoff };
            let done = cases::propose(&mut tx, id, stored_outcome, to, &principal.actor, comment).await.api(retry)?;
            (done, Action::DecideCase)
        }
        CaseStatus::PendingSignoff => {
            principal.require(Permission::SignOffFraud)?;
            if case.proposed_by.as_deref() == Some(principal.actor.as_str()) {
                return Err(ApiError::new(ErrorCode::Forbidden, "a fraud confirmation needs a second person"));
            }
            let done = cases::sign_off(&mut tx, id, stored_outcome, &principal.actor, comment).await.api(retry)?;
            (done, Action::SignOffCase)
        }
        CaseStatus::Closed => (false, Action::DecideCase),
    };
    if !done {
        return Err(ApiError::new(ErrorCode::CaseClosed, "the case is closed"));
    }
    audit::append(&mut tx, &principal.event(action, Some(purpose), Some(&case.subject_ref), Outcome::Success))
        .await
        .api(retry)?;
    let updated = cases::get(&mut tx, id).await.api(retry)?;
    if state.webhook {
        let event = crate::notify::CaseEvent {
            event: crate::notify::EventKind::CaseDecided,
            case_id: id,
            verification_id: updated.verification_id,
            status: updated.status.as_str(),
            reasons: crate::domain::Reason::for_client(&updated.reasons),
            outcome: updated.outcome.clone(),
        };
        crate::notify::enqueue(&mut tx, &event).await.api(retry)?;
    }
    tx.commit().await.api(retry)?;
    Ok(updated)
}
