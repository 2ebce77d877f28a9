//! The blocklist and allowlist in the console, for supervisors (crate::review behind them): put a confirmed-fraud
//! case's face on the blocklist or a cleared duplicate's pair on the allowlist from the case page, see both lists,
//! remove an entry. Every form carries the session's CSRF token; every action is audited by the review service.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::pages::Nav;
use super::{check_csrf, frame, html, redirect, reviewer, CsrfForm, PURPOSE};
use crate::error::ApiError;
use crate::http::{AppState, Principal};
use crate::i18n::Lang;
use crate::policy::Permission;
use crate::review::{case_id, entry_id};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    use super::allow;
    cfg.service(web::resource("/lists").route(web::get().to(page)).default_service(allow("GET")))
        .service(
            web::resource("/cases/{id}/blocklist").route(web::post().to(blocklist_case)).default_service(allow("POST")),
        )
        .service(
            web::resource("/cases/{id}/allowlist").route(web::post().to(allowlist_case)).default_service(allow("POST")),
        )
        .service(
            web::resource("/lists/blocklist/{entry}/remove")
                .route(web::post().to(remove_blocklisted))
                .default_service(allow("POST")),
        )
        .service(
            web::resource("/lists/allowlist/{entry}/remove")
                .route(web::post().to(remove_allowlisted))
                .default_service(allow("POST")),
        );
}

/// One row of either list: ids, who and when; never a template or a subject.
pub(super) struct ListRow {
    pub entry_id: String,
    pub case_id: String,
    pub short_case: String,
    pub added_by: String,
    pub created_at: String,
}

impl ListRow {
    fn new(entry_id: String, case_id: String, added_by: String, created_at: String) -> Self {
        let short_case = case_id.chars().take(8).collect();
        Self { entry_id, case_id, short_case, added_by, created_at }
    }
}

#[derive(Template)]
#[template(path = "lists.html")]
pub(super) struct ListsPage {
    pub t: Lang,
    pub nav: Nav,
    pub blocklist: Vec<ListRow>,
    pub allowlist: Vec<ListRow>,
}

/// A signed-in supervisor; anyone else signed in gets 403 (the error page), nobody signed in the login page.
fn supervisor(principal: Option<Principal>) -> Result<Option<Principal>, ApiError> {
    let Some(principal) = reviewer(principal) else { return Ok(None) };
    principal.require(Permission::SignOffFraud)?;
    Ok(Some(principal))
}

async fn page(
    req: HttpRequest,
    principal: Option<Principal>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(principal) = supervisor(principal)? else { return Ok(redirect("/console/login")) };
    let blocked = state.review.blocklist(&principal, PURPOSE).await?;
    let allowed = state.review.allowlist(&principal, PURPOSE).await?;
    let (t, nav) = frame(&state, &principal, &req).await;
    html(ListsPage {
        t,
        nav,
        blocklist: blocked.into_iter().map(|e| ListRow::new(e.id, e.case_id, e.added_by, e.created_at)).collect(),
        allowlist: allowed.into_iter().map(|e| ListRow::new(e.id, e.case_id, e.added_by, e.created_at)).collect(),
    })
}

/// A supervisor's form post: the session's role, then its CSRF token (`None`: nobody signed in).
fn supervisor_form(
    principal: Option<Principal>,
    form: &CsrfForm,
    state: &AppState,
) -> Result<Option<Principal>, ApiError> {
    let Some(principal) = supervisor(principal)? else { return Ok(None) };
    check_csrf(state, &principal, &form.csrf)?;
    Ok(Some(principal))
}

async fn blocklist_case(
    principal: Option<Principal>,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(principal) = supervisor_form(principal, &form, &state)? else { return Ok(redirect("/console/login")) };
    state.review.blocklist_case(&principal, case_id(&path)?, PURPOSE).await?;
    Ok(redirect("/console/lists#blocklist"))
}

async fn allowlist_case(
    principal: Option<Principal>,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(principal) = supervisor_form(principal, &form, &state)? else { return Ok(redirect("/console/login")) };
    state.review.allowlist_case(&principal, case_id(&path)?, PURPOSE).await?;
    Ok(redirect("/console/lists#allowlist"))
}

async fn remove_blocklisted(
    principal: Option<Principal>,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(principal) = supervisor_form(principal, &form, &state)? else { return Ok(redirect("/console/login")) };
    state.review.unblocklist(&principal, entry_id(&path)?, PURPOSE).await?;
    Ok(redirect("/console/lists#blocklist"))
}

async fn remove_allowlisted(
    principal: Option<Principal>,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(principal) = supervisor_form(principal, &form, &state)? else { return Ok(redirect("/console/login")) };
    state.review.unallowlist(&principal, entry_id(&path)?, PURPOSE).await?;
    Ok(redirect("/console/lists#allowlist"))
}
