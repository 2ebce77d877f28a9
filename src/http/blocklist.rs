//! The blocklist API (crate::review behind it), for supervisors: put a confirmed-fraud case's face on the list,
//! remove an entry, list the entries (ids, reason, who, when; never a template).

use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

use super::{AppState, Principal};
use crate::error::ApiError;
use crate::policy::Permission;
use crate::review::{case_id, entry_id};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/cases/{id}/blocklist", web::post().to(add))
        .route("/blocklist", web::get().to(list))
        .route("/blocklist/{entry_id}", web::delete().to(remove));
}

/// One blocklist entry: no template, no applicant reference.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct BlocklistEntry {
    entry_id: String,
    case_id: String,
    verification_id: String,
    /// `confirmed_fraud`.
    reason: String,
    added_by: String,
    created_at: String,
}

impl From<crate::store::blocklist::Entry> for BlocklistEntry {
    fn from(e: crate::store::blocklist::Entry) -> Self {
        Self {
            entry_id: e.id,
            case_id: e.case_id,
            verification_id: e.verification_id,
            reason: e.reason,
            added_by: e.added_by,
            created_at: e.created_at,
        }
    }
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct BlocklistPage {
    items: Vec<BlocklistEntry>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct BlocklistRemoved {
    entry_id: Uuid,
    removed: bool,
}

#[utoipa::path(
    post, path = "/v1/cases/{id}/blocklist", operation_id = "blocklistCase",
    security(("bearer" = []), ("session" = [])),
    params(("id" = Uuid, Path), super::openapi::PurposeHeader),
    responses(
        (status = 201, description = "the case's selfie face is on the blocklist", body = BlocklistEntry),
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
    let entry = state.review.blocklist_case(&principal, case_id(&path)?, purpose).await?;
    Ok(HttpResponse::Created().json(BlocklistEntry::from(entry)))
}

#[utoipa::path(
    get, path = "/v1/blocklist", operation_id = "listBlocklist",
    security(("bearer" = []), ("session" = [])),
    params(super::openapi::PurposeHeader),
    responses(
        (status = 200, description = "every entry, oldest first", body = BlocklistPage),
        super::openapi::Refusals,
    )
)]
async fn list(principal: Principal, req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::SignOffFraud, &req)?;
    let items = state.review.blocklist(&principal, purpose).await?.into_iter().map(BlocklistEntry::from).collect();
    Ok(HttpResponse::Ok().json(BlocklistPage { items }))
}

#[utoipa::path(
    delete, path = "/v1/blocklist/{entry_id}", operation_id = "removeBlocklistEntry",
    security(("bearer" = []), ("session" = [])),
    params(("entry_id" = Uuid, Path), super::openapi::PurposeHeader),
    responses(
        (status = 200, description = "removed", body = BlocklistRemoved),
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
    state.review.unblocklist(&principal, id, purpose).await?;
    Ok(HttpResponse::Ok().json(BlocklistRemoved { entry_id: id, removed: true }))
}
