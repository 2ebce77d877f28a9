//! Subject erasure for the DPO: `DELETE /v1/subjects/{ref}` erases everything stored about an applicant
//! (database rows, sealed templates by crypto-shredding, case crops, the in-memory gallery);
//! `GET /v1/subjects/{ref}/residue` is the query that proves nothing remains.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{AppState, Principal, StoreResultExt};
use crate::audit::{self, Action, Outcome};
use crate::domain::ApplicantRef;
use crate::error::{ApiError, ErrorCode};
use crate::policy::Permission;
use crate::store::subjects;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/subjects/{subject}", web::delete().to(erase))
        .route("/subjects/{subject}/residue", web::get().to(residue));
}

fn subject(raw: &str) -> Result<ApplicantRef, ApiError> {
    ApplicantRef::parse(raw).map_err(|_| ApiError::new(ErrorCode::NotFound, "no such subject"))
}

async fn erase(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::EraseSubject, &req)?;
    let subject = subject(&path)?;
    let retry = state.retry_after_secs;
    let mut tx = state.store.begin_write().await.api(retry)?;
    let erased = subjects::erase(&mut tx, subject.expose()).await.api(retry)?;
    let event = principal.event(Action::EraseSubject, Some(purpose), Some(subject.expose()), Outcome::Success);
    audit::append(&mut tx, &event).await.api(retry)?;
    tx.commit().await.api(retry)?;
    let from_memory = state.gallery.remove_subject(subject.expose());
    Ok(HttpResponse::Ok().json(serde_json::json!({ "erased": erased, "gallery_templates_removed": from_memory })))
}

async fn residue(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::EraseSubject, &req)?;
    let subject = subject(&path)?;
    let retry = state.retry_after_secs;
    let mut tx = state.store.begin_write().await.api(retry)?;
    let mut found = subjects::residue(&mut tx, subject.expose()).await.api(retry)?;
    found.gallery = i64::try_from(state.gallery.count_subject(subject.expose())).unwrap_or(i64::MAX);
    let event = principal.event(Action::CheckErasure, Some(purpose), Some(subject.expose()), Outcome::Success);
    audit::append(&mut tx, &event).await.api(retry)?;
    tx.commit().await.api(retry)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "nothing_remains": found.is_empty(), "residue": found })))
}
