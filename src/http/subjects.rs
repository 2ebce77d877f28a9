//! Subject erasure for the DPO: `DELETE /v1/subjects/{ref}` erases everything stored about an applicant
//! (database rows, sealed templates by crypto-shredding, case crops, the in-memory gallery), then checkpoints
//! SQLite's write-ahead log so no older copy stays there; `GET /v1/subjects/{ref}/residue` proves nothing remains:
//! the per-table counts, a scan of every column of every table and, on SQLite, of the database and log files.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{AppState, Principal};
use crate::audit::{self, Action, Outcome};
use crate::domain::ApplicantRef;
use crate::error::{ApiError, ErrorCode};
use crate::policy::Permission;
use crate::store::{residue, subjects};

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
    let mut tx = state.store.begin_write().await?;
    let erased = subjects::erase(&mut tx, subject.expose()).await?;
    let event = principal.event(Action::EraseSubject, Some(purpose), Some(subject.expose()), Outcome::Success);
    let audited = audit::append(&mut tx, &event).await?;
    tx.commit(audited).await?;
    let from_memory = state.gallery.remove_subject(subject.expose());
    state.store.checkpoint_wal().await;
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
    // The scan reads the whole database: outside the write transaction, so writers are not held up meanwhile.
    let scan = residue::scan(&state.store, subject.expose()).await?;
    let mut tx = state.store.begin_write().await?;
    let pseudonym = tx.pseudonym(subject.expose());
    let mut rows = subjects::counts(&mut tx, subject.expose(), &pseudonym).await?;
    rows.gallery = i64::try_from(state.gallery.count_subject(subject.expose())).unwrap_or(i64::MAX);
    let found = subjects::Residue {
        rows,
        stored_copies: scan.stored_copies,
        database_file_copies: scan.database_file_copies,
        wal_file_copies: scan.wal_file_copies,
    };
    let event = principal.event(Action::CheckErasure, Some(purpose), Some(subject.expose()), Outcome::Success);
    let audited = audit::append(&mut tx, &event).await?;
    tx.commit(audited).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "nothing_remains": found.is_empty(), "residue": found })))
}
