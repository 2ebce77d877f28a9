//! `GET /v1/audit/export` (auditor) and `GET /v1/audit/verify` (auditor, DPO). Exporting is itself audited;
//! a broken chain raises a security event.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{AppState, Principal, StoreResultExt};
use crate::audit::{self, Action, Outcome, SecurityEvent, Severity};
use crate::error::ApiError;
use crate::policy::Permission;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/audit/export", web::get().to(export)).route("/audit/verify", web::get().to(verify));
}

#[tracing::instrument(name = "audit.export", skip_all)]
async fn export(req: HttpRequest, principal: Principal, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::ExportAudit, &req)?;
    let retry = state.retry_after_secs;
    let mut tx = state.store.begin_write().await.api(retry)?;
    audit::append(&mut tx, &principal.event(Action::ExportAudit, Some(purpose), None, Outcome::Success))
        .await
        .api(retry)?;
    audit::check_access_burst(&mut tx, &principal.actor, state.burst_threshold, state.burst_window_secs)
        .await
        .api(retry)?;
    let rows = audit::export(&mut tx).await.api(retry)?;
    tx.commit().await.api(retry)?;
    Ok(HttpResponse::Ok().json(rows))
}

#[tracing::instrument(name = "audit.verify", skip_all)]
async fn verify(req: HttpRequest, principal: Principal, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::VerifyAudit, &req)?;
    let retry = state.retry_after_secs;
    let mut tx = state.store.begin_write().await.api(retry)?;
    let report = audit::verify(&mut tx).await.api(retry)?;
    if !report.intact {
        audit::raise(&mut tx, SecurityEvent::AuditChainBreak, Severity::Critical, "audit chain verification failed")
            .await
            .api(retry)?;
    }
    audit::append(&mut tx, &principal.event(Action::VerifyAudit, Some(purpose), None, Outcome::Success))
        .await
        .api(retry)?;
    tx.commit().await.api(retry)?;
    Ok(HttpResponse::Ok().json(report))
}
