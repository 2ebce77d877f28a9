//! Subject erasure for the DPO: `DELETE /v1/subjects/{ref}` erases everything stored about an applicant
//! (database rows, sealed templates by crypto-shredding, case crops, the in-memory gallery), then checkpoints
//! SQLite's write-ahead log so no older copy stays there; `GET /v1/subjects/{ref}/residue` proves nothing remains:
//! the per-table counts, a scan of every column of every table and, on SQLite, of the database and log files.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::{AppState, ErrorBody, Principal, StoreResultExt};
use crate::audit::{self, Action, Outcome};
use crate::domain::ApplicantRef;
use crate::error::{ApiError, ErrorCode};
use crate::policy::Permission;
use crate::store::{residue, subjects};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/subjects/{subject}", web::delete().to(erase))
        .route("/subjects/{subject}/residue", web::get().to(residue));
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Erased {
    /// Rows per table that were filed under the subject, now deleted (templates crypto-shredded).
    erased: subjects::Counts,
    gallery_templates_removed: usize,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ResidueReport {
    nothing_remains: bool,
    residue: subjects::Residue,
}

fn subject(raw: &str) -> Result<ApplicantRef, ApiError> {
    ApplicantRef::parse(raw).map_err(|_| ApiError::new(ErrorCode::NotFound, "no such subject"))
}

#[utoipa::path(
    delete, path = "/v1/subjects/{subject}", operation_id = "eraseSubject",
    security(("bearer" = []), ("session" = [])),
    params(("subject" = String, Path), super::openapi::PurposeHeader),
    responses(
        (status = 200, description = "erased", body = Erased),
        super::openapi::Refusals,
        (status = 404, description = "error", body = ErrorBody),
    )
)]
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
    state.store.checkpoint_wal().await;
    Ok(HttpResponse::Ok().json(Erased { erased, gallery_templates_removed: from_memory }))
}

#[utoipa::path(
    get, path = "/v1/subjects/{subject}/residue", operation_id = "subjectResidue",
    security(("bearer" = []), ("session" = [])),
    params(("subject" = String, Path), super::openapi::PurposeHeader),
    responses(
        (status = 200, description = "what remains", body = ResidueReport),
        super::openapi::Refusals,
        (status = 404, description = "error", body = ErrorBody),
    )
)]
async fn residue(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::EraseSubject, &req)?;
    let subject = subject(&path)?;
    let retry = state.retry_after_secs;
    // The scan reads the whole database: outside the write transaction, so writers are not held up meanwhile.
    let scan = residue::scan(&state.store, subject.expose()).await.api(retry)?;
    let mut tx = state.store.begin_write().await.api(retry)?;
    let pseudonym = tx.pseudonym(subject.expose());
    let mut rows = subjects::counts(&mut tx, subject.expose(), &pseudonym).await.api(retry)?;
    rows.gallery = i64::try_from(state.gallery.count_subject(subject.expose())).unwrap_or(i64::MAX);
    let found = subjects::Residue {
        rows,
        stored_copies: scan.stored_copies,
        database_file_copies: scan.database_file_copies,
        wal_file_copies: scan.wal_file_copies,
    };
    let event = principal.event(Action::CheckErasure, Some(purpose), Some(subject.expose()), Outcome::Success);
    audit::append(&mut tx, &event).await.api(retry)?;
    tx.commit().await.api(retry)?;
    Ok(HttpResponse::Ok().json(ResidueReport { nothing_remains: found.is_empty(), residue: found }))
}
