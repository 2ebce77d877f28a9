//! `GET /v1/audit/export[?subject=REF]` (auditor), `GET /v1/audit/verify` and `GET /v1/audit/checkpoint`
//! (auditor, DPO), in front of crate::oversight.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{AppState, ErrorBody, Principal};
use crate::audit;
use crate::error::ApiError;
use crate::policy::Permission;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit/export", web::get().to(export))
        .route("/audit/verify", web::get().to(verify))
        .route("/audit/checkpoint", web::get().to(checkpoint));
}

#[derive(serde::Deserialize)]
struct ExportQuery {
    /// Only the rows about this subject: found by its pseudonym (and, in legacy rows, by the clear reference).
    subject: Option<String>,
}

#[utoipa::path(
    get, path = "/v1/audit/export", operation_id = "exportAudit",
    security(("bearer" = []), ("session" = [])),
    params(
        ("subject" = Option<String>, Query, description = "only the rows about this applicant reference (matched \
            by its keyed pseudonym; in rows written before keyed pseudonyms, by the clear reference)"),
        super::openapi::PurposeHeader,
    ),
    responses((status = 200, description = "audit rows", body = Vec<audit::AuditRow>), super::openapi::Refusals)
)]
#[tracing::instrument(name = "audit.export", skip_all)]
async fn export(
    req: HttpRequest,
    query: web::Query<ExportQuery>,
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::ExportAudit, &req)?;
    let rows = state.oversight.export_audit(&principal, purpose, query.subject.as_deref()).await?;
    Ok(HttpResponse::Ok().json(rows))
}

#[utoipa::path(
    get, path = "/v1/audit/verify", operation_id = "verifyAudit",
    security(("bearer" = []), ("session" = [])),
    params(super::openapi::PurposeHeader),
    responses((status = 200, description = "chain report", body = audit::ChainReport), super::openapi::Refusals)
)]
#[tracing::instrument(name = "audit.verify", skip_all)]
async fn verify(req: HttpRequest, principal: Principal, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::VerifyAudit, &req)?;
    Ok(HttpResponse::Ok().json(state.oversight.verify_audit(&principal, purpose).await?))
}

/// A signed checkpoint of the chain as it stands (before this request's own audit row), for the auditor to keep
/// outside the database. Refused with `audit_chain_broken` when the chain does not verify.
#[utoipa::path(
    get, path = "/v1/audit/checkpoint", operation_id = "auditCheckpoint",
    security(("bearer" = []), ("session" = [])),
    params(super::openapi::PurposeHeader),
    responses(
        (status = 200, description = "signed checkpoint {format, count, head, at, public_key, signature} of the chain \
            before this request's own audit row", body = audit::Checkpoint),
        super::openapi::Refusals,
        (status = 409, description = "audit_chain_broken: the chain does not verify, no checkpoint signed",
            body = ErrorBody),
    )
)]
#[tracing::instrument(name = "audit.checkpoint", skip_all)]
async fn checkpoint(
    req: HttpRequest,
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::VerifyAudit, &req)?;
    Ok(HttpResponse::Ok().json(state.oversight.checkpoint(&principal, purpose).await?))
}
