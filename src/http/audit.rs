//! `GET /v1/audit/export[?subject=REF]` (auditor), `GET /v1/audit/verify` and `GET /v1/audit/checkpoint`
//! (auditor, DPO). Each is itself audited; a broken chain raises a security event (and gets no checkpoint).

use actix_web::{web, HttpRequest, HttpResponse};

use super::{AppState, ErrorBody, Principal};
use crate::audit::{self, Action, Outcome, SecurityEvent, Severity};
use crate::domain::ApplicantRef;
use crate::error::{ApiError, ErrorCode};
use crate::policy::Permission;
use crate::store::WriteTx;

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
    let mut tx = state.store.begin_write().await?;
    let audited =
        audit::append(&mut tx, &principal.event(Action::ExportAudit, Some(purpose), None, Outcome::Success)).await?;
    audit::check_access_burst(&mut tx, &principal.actor, state.burst_threshold, state.burst_window_secs).await?;
    let mut rows = audit::export(&mut tx).await?;
    if let Some(subject) = &query.subject {
        // A reference that does not parse was never stored: nothing matches it.
        let subject = ApplicantRef::parse(subject).ok();
        let pseudonym = subject.as_ref().map(|s| tx.pseudonym(s.expose()));
        let keyed_from = tx.keys().chain_from();
        rows.retain(|r| {
            let stored = r.subject_ref.as_deref();
            let legacy_clear = r.seq < keyed_from && stored == subject.as_ref().map(ApplicantRef::expose);
            subject.is_some() && (stored == pseudonym.as_deref() || legacy_clear)
        });
    }
    tx.commit(audited).await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Verifies the chain; a break raises an `audit_chain_break` security event. Returns the report.
async fn verified(tx: &mut WriteTx) -> Result<audit::ChainReport, ApiError> {
    let report = audit::verify(tx).await?;
    if !report.intact {
        audit::raise(tx, SecurityEvent::AuditChainBreak, Severity::Critical, "audit chain verification failed").await?;
    }
    Ok(report)
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
    let mut tx = state.store.begin_write().await?;
    let report = verified(&mut tx).await?;
    let audited =
        audit::append(&mut tx, &principal.event(Action::VerifyAudit, Some(purpose), None, Outcome::Success)).await?;
    tx.commit(audited).await?;
    Ok(HttpResponse::Ok().json(report))
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
    let mut tx = state.store.begin_write().await?;
    let intact = verified(&mut tx).await?.intact;
    let signed = if intact { Some(audit::checkpoint(&mut tx).await?) } else { None };
    let result = if intact { Outcome::Success } else { Outcome::Failure };
    let audited = audit::append(&mut tx, &principal.event(Action::SignCheckpoint, Some(purpose), None, result)).await?;
    tx.commit(audited).await?;
    match signed {
        Some(checkpoint) => Ok(HttpResponse::Ok().json(checkpoint)),
        None => {
            Err(ApiError::new(ErrorCode::AuditChainBroken, "the audit chain does not verify: no checkpoint signed"))
        }
    }
}
