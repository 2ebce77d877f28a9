//! The analysts' web console: server-rendered pages (askama, auto-escaping), no external assets. Sessions are the
//! API's (password + TOTP, HttpOnly SameSite=Strict cookie, sliding timeout); every form carries a CSRF token
//! derived from the session. Console work is anti-fraud work: that is the purpose it declares.

mod pages;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::{digests_equal, sha256_hex};
use crate::domain::Purpose;
use crate::error::{ApiError, ErrorCode};
use crate::http::auth::{close_session, open_session, session_cookie};
use crate::http::cases::{audited_case, case_id, crop_png, decide_case, png_response, CaseOutcome};
use crate::http::{AppState, Principal, StoreResultExt};
use crate::policy::Permission;
use crate::store::cases::{self, CaseStatus};
use pages::{CasePage, LoginPage, Nav, QueuePage};

const PURPOSE: Purpose = Purpose::AntiFraud;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            .wrap(
                actix_web::middleware::DefaultHeaders::new()
                    .add((header::CONTENT_SECURITY_POLICY, "default-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"))
                    .add((header::X_FRAME_OPTIONS, "DENY"))
                    .add((header::REFERRER_POLICY, "no-referrer"))
                    .add((header::CACHE_CONTROL, "no-store")),
            )
            .route("", web::get().to(queue))
            .route("/login", web::get().to(login_page))
            .route("/login", web::post().to(login))
            .route("/logout", web::post().to(logout))
            .route("/cases/{id}", web::get().to(case_page))
            .route("/cases/{id}/crops/{kind}", web::get().to(crop))
            .route("/cases/{id}/decision", web::post().to(decision)),
    );
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to.to_owned())).finish()
}

fn html(page: impl Template) -> Result<HttpResponse, ApiError> {
    let body = page.render().map_err(|e| ApiError::internal(&e))?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

/// The CSRF token of a session: bound to it, unguessable without the session cookie.
fn csrf_token(principal: &Principal) -> String {
    sha256_hex(&format!("faceverify/csrf/v1\0{}", principal.session.as_deref().unwrap_or("")))
}

fn check_csrf(principal: &Principal, presented: &str) -> Result<(), ApiError> {
    if principal.session.is_some() && digests_equal(&csrf_token(principal), presented) {
        Ok(())
    } else {
        Err(ApiError::new(crate::error::ErrorCode::Forbidden, "missing or wrong CSRF token"))
    }
}

fn nav(principal: &Principal) -> Nav {
    Nav { actor: principal.actor.clone(), role: principal.role.as_str(), csrf: csrf_token(principal) }
}

#[derive(Deserialize)]
struct LoginQuery {
    failed: Option<u8>,
    busy: Option<u8>,
}

async fn login_page(query: web::Query<LoginQuery>) -> Result<HttpResponse, ApiError> {
    html(LoginPage { failed: query.failed.is_some(), busy: query.busy.is_some() })
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: zeroize::Zeroizing<String>,
    totp: String,
}

async fn login(
    req: HttpRequest,
    form: web::Form<LoginForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let LoginForm { username, password, totp } = form.into_inner();
    match open_session(&state, &req, &username, password, &totp).await {
        Ok(session) if session.role.is_staff() => {
            let mut response = redirect("/console");
            response
                .add_cookie(&session_cookie(&state, session.token.plaintext.to_string(), state.session_ttl_secs))
                .map_err(|e| ApiError::internal(&e))?;
            Ok(response)
        }
        Err(e) if matches!(e.code, ErrorCode::TooManyAttempts | ErrorCode::Overloaded) => {
            Ok(redirect("/console/login?busy=1"))
        }
        Ok(_) | Err(_) => Ok(redirect("/console/login?failed=1")),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    principal: Option<Principal>,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(principal) = principal else { return Ok(redirect("/console/login")) };
    check_csrf(&principal, &form.csrf)?;
    close_session(&state, &principal).await?;
    let mut response = redirect("/console/login");
    response.add_cookie(&session_cookie(&state, String::new(), 0)).map_err(|e| ApiError::internal(&e))?;
    Ok(response)
}

/// A signed-in staff member allowed to read cases; anyone else is sent to the login page.
fn reviewer(principal: Option<Principal>) -> Option<Principal> {
    principal.filter(|p| p.session.is_some() && p.require(Permission::ReadCase).is_ok())
}

async fn queue(principal: Option<Principal>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let Some(principal) = reviewer(principal) else { return Ok(redirect("/console/login")) };
    let retry = state.retry_after_secs;
    let mut tx = state.store.begin_write().await.api(retry)?;
    let mut rows = cases::list(&mut tx, Some(CaseStatus::Open), None, 100, 0).await.api(retry)?;
    rows.extend(cases::list(&mut tx, Some(CaseStatus::PendingSignoff), None, 100, 0).await.api(retry)?);
    let event = principal.event(crate::audit::Action::ListCases, Some(PURPOSE), None, crate::audit::Outcome::Success);
    crate::audit::append(&mut tx, &event).await.api(retry)?;
    tx.commit().await.api(retry)?;
    html(QueuePage { nav: nav(&principal), rows: rows.iter().map(pages::QueueRow::from).collect() })
}

async fn case_page(
    principal: Option<Principal>,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(principal) = reviewer(principal) else { return Ok(redirect("/console/login")) };
    let case = audited_case(&state, &principal, case_id(&path)?, crate::audit::Action::ViewCase, PURPOSE).await?;
    html(CasePage::new(nav(&principal), &case))
}

async fn crop(
    principal: Option<Principal>,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(principal) = reviewer(principal) else { return Ok(redirect("/console/login")) };
    let (raw_id, kind) = path.into_inner();
    Ok(png_response(crop_png(&state, &principal, case_id(&raw_id)?, &kind, PURPOSE).await?))
}

#[derive(Deserialize)]
struct DecisionForm {
    csrf: String,
    outcome: CaseOutcome,
    comment: String,
}

async fn decision(
    principal: Option<Principal>,
    path: web::Path<String>,
    form: web::Form<DecisionForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(principal) = reviewer(principal) else { return Ok(redirect("/console/login")) };
    check_csrf(&principal, &form.csrf)?;
    let id = case_id(&path)?;
    decide_case(&state, &principal, id, form.outcome, &form.comment, PURPOSE).await?;
    Ok(redirect(&format!("/console/cases/{id}")))
}
