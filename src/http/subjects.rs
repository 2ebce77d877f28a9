//! Subject erasure for the DPO (crate::privacy behind it): `DELETE /v1/subjects/{ref}` erases everything stored
//! about an applicant; `GET /v1/subjects/{ref}/residue` proves nothing remains.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{AppState, Principal};
use crate::error::ApiError;
use crate::policy::Permission;
use crate::privacy::subject;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/subjects/{subject}", web::delete().to(erase))
        .route("/subjects/{subject}/residue", web::get().to(residue));
}

async fn erase(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::EraseSubject, &req)?;
    let (erased, from_memory) = state.privacy.erase(&principal, purpose, &subject(&path)?).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "erased": erased, "gallery_templates_removed": from_memory })))
}

async fn residue(
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::EraseSubject, &req)?;
    let found = state.privacy.residue(&principal, purpose, &subject(&path)?).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "nothing_remains": found.is_empty(), "residue": found })))
}
