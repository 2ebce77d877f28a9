//! Subject erasure for the DPO (crate::privacy behind it): `DELETE /v1/subjects/{ref}` erases everything stored
//! about an applicant; `GET /v1/subjects/{ref}/residue` proves nothing remains.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::{AppState, ErrorBody, Principal};
use crate::error::ApiError;
use crate::policy::Permission;
use crate::privacy::subject;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/subjects/{subject}", web::delete().to(erase))
        .route("/subjects/{subject}/residue", web::get().to(residue));
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Erased {
    /// Rows per table that were filed under the subject, now deleted (templates crypto-shredded).
    erased: crate::store::subjects::Counts,
    gallery_templates_removed: usize,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ResidueReport {
    nothing_remains: bool,
    residue: crate::store::subjects::Residue,
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
    let (erased, from_memory) = state.privacy.erase(&principal, purpose, &subject(&path)?).await?;
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
    let found = state.privacy.residue(&principal, purpose, &subject(&path)?).await?;
    Ok(HttpResponse::Ok().json(ResidueReport { nothing_remains: found.is_empty(), residue: found }))
}
