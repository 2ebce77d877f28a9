//! The allowlist API (crate::review behind it), for supervisors: pair the two applicants of a cleared duplicate
//! case (twins), remove a pair, list the pairs (ids, who, when; never a subject).

use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

use super::{AppState, Principal};
use crate::error::ApiError;
use crate::policy::Permission;
use crate::review::{case_id, entry_id};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/cases/{id}/allowlist", web::post().to(add))
        .route("/allowlist", web::get().to(list))
        .route("/allowlist/{entry_id}", web::delete().to(remove));
}

/// One allowlist entry: no subject, not even as a pseudonym.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct AllowlistEntry {
    entry_id: String,
    /// The cleared duplicate case the pair came from.
    case_id: String,
    added_by: String,
    created_at: String,
}

impl From<crate::store::allowlist::Entry> for AllowlistEntry {
    fn from(e: crate::store::allowlist::Entry) -> Self {
        Self { entry_id: e.id, case_id: e.case_id, added_by: e.added_by, created_at: e.created_at }
    }
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct AllowlistPage {
    items: Vec<AllowlistEntry>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct AllowlistRemoved {
    entry_id: Uuid,
    removed: bool,
}

#[utoipa::path(
    post, path = "/v1/cases/{id}/allowlist", operation_id = "allowlistCase",
    security(("bearer" = []), ("session" = [])),
    params(("id" = Uuid, Path), super::openapi::PurposeHeader),
    responses(
        (status = 201, description = "the case's two applicants are on the allowlist", body = AllowlistEntry),
        super::openapi::Refusals,
        (status = 404, description = "error", body = super::ErrorBody),
        (status = 409, description = "error", body = super::ErrorBody),
    )
)]
async fn add(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::SignOffFraud, &req)?;
    let entry = state.review.allowlist_case(&principal, case_id(&path)?, purpose).await?;
    Ok(HttpResponse::Created().json(AllowlistEntry::from(entry)))
}

#[utoipa::path(
    get, path = "/v1/allowlist", operation_id = "listAllowlist",
    security(("bearer" = []), ("session" = [])),
    params(super::openapi::PurposeHeader),
    responses(
        (status = 200, description = "every entry, oldest first", body = AllowlistPage),
        super::openapi::Refusals,
    )
)]
async fn list(principal: Principal, req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::SignOffFraud, &req)?;
    let items = state.review.allowlist(&principal, purpose).await?.into_iter().map(AllowlistEntry::from).collect();
    Ok(HttpResponse::Ok().json(AllowlistPage { items }))
}

#[utoipa::path(
    delete, path = "/v1/allowlist/{entry_id}", operation_id = "removeAllowlistEntry",
    security(("bearer" = []), ("session" = [])),
    params(("entry_id" = Uuid, Path), super::openapi::PurposeHeader),
    responses(
        (status = 200, description = "removed", body = AllowlistRemoved),
        super::openapi::Refusals,
        (status = 404, description = "error", body = super::ErrorBody),
    )
)]
async fn remove(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::SignOffFraud, &req)?;
    let id = entry_id(&path)?;
    state.review.unallowlist(&principal, id, purpose).await?;
    Ok(HttpResponse::Ok().json(AllowlistRemoved { entry_id: id, removed: true }))
}
