//! The analysts' web console: server-rendered pages (askama, auto-escaping), no external assets. Sessions are the
//! API's (password + TOTP, HttpOnly SameSite=Strict cookie, sliding timeout); every form carries a CSRF token
//! (csrf.rs), and POSTs from another origin are refused. Errors are HTML pages with the stable code. Console work
//! is anti-fraud work: that is the purpose it declares. Pages speak English, Russian or Kazakh (language.rs).

mod case_work;
mod csrf;
mod dashboard;
mod language;
mod lists;
mod pages;

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::future::{ready, Either};
use serde::Deserialize;

use crate::auth::SessionError;
use crate::domain::Purpose;
use crate::error::{ApiError, ErrorCode};
use crate::http::auth::{origin, session_cookie};
use crate::http::cases::png_response;
use crate::http::{AppState, Principal};
use crate::i18n::Lang;
use crate::policy::Permission;
use crate::review::{case_id, CaseOutcome};
use pages::{CasePage, ErrorPage, LoginPage, Nav, QueuePage};

const PURPOSE: Purpose = Purpose::AntiFraud;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            // The last `wrap` is the outermost layer: the origin check's refusal must pass through the headers.
            .wrap_fn(|req, srv| match csrf::check_origin(req.request()) {
                Ok(()) => Either::Left(srv.call(req)),
                Err(e) => Either::Right(ready(Ok(req.error_response(e)))),
            })
            .wrap(
                actix_web::middleware::DefaultHeaders::new()
                    .add((header::CONTENT_SECURITY_POLICY, "default-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"))
                    .add((header::X_FRAME_OPTIONS, "DENY"))
                    // Not no-referrer: under it browsers send `Origin: null` even to this site, and the origin
                    // check needs the real one; same-origin still sends nothing to other sites.
                    .add((header::REFERRER_POLICY, "same-origin"))
                    .add((header::CACHE_CONTROL, "no-store")),
            )
            .service(web::resource("").route(web::get().to(queue)).default_service(allow("GET")))
            .service(
                web::resource("/login")
                    .route(web::get().to(login_page))
                    .route(web::post().to(login))
                    .default_service(allow("GET, POST")),
            )
            .service(web::resource("/logout").route(web::post().to(logout)).default_service(allow("POST")))
            .service(web::resource("/dashboard").route(web::get().to(dashboard::page)).default_service(allow("GET")))
            .service(web::resource("/language").route(web::post().to(language::set)).default_service(allow("POST")))
            .service(web::resource("/cases/{id}").route(web::get().to(case_page)).default_service(allow("GET")))
            .service(
                web::resource("/cases/{id}/crops/{kind}").route(web::get().to(crop)).default_service(allow("GET")),
            )
            .service(
                web::resource("/cases/{id}/decision").route(web::post().to(decision)).default_service(allow("POST")),
            )
            .service(web::resource("/cases/{id}/notes").route(web::post().to(case_work::note)).default_service(allow("POST")))
            .service(
                web::resource("/cases/{id}/recapture").route(web::post().to(case_work::recapture)).default_service(allow("POST")),
            )
            .configure(lists::configure),
    );
}

/// 405 with the methods the path answers (the error page comes from `error_page`).
fn allow(methods: &'static str) -> actix_web::Route {
    web::to(move || async move { HttpResponse::MethodNotAllowed().insert_header((header::ALLOW, methods)).finish() })
}

/// An error answer under /console as an HTML page with its status and stable code, replacing whatever body it had
/// (JSON from `ApiError`, actix's plain text, nothing). Other headers (CSP, Retry-After, Allow) stay. The page
/// speaks the browser's language (no account lookup on the error path); `message`, the server's English one, is
/// shown as the detail when it says more than the code's own message.
pub(crate) fn error_page(res: ServiceResponse<BoxBody>, code: &'static str, message: &str) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let t = language::browser(res.request());
    let detail = if message == Lang::En.error_message(code) { String::new() } else { message.to_owned() };
    let page = ErrorPage { t, status: status.as_u16(), code, message: t.error_message(code), detail };
    let body =
        page.render().unwrap_or_else(|_| format!("<!doctype html><title>{}</title><p>{code}</p>", status.as_u16()));
    res.map_body(|head, _| {
        head.headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/html; charset=utf-8"));
        head.headers.remove(header::CONTENT_LENGTH);
        BoxBody::new(body)
    })
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to.to_owned())).finish()
}

fn html(page: impl Template) -> Result<HttpResponse, ApiError> {
    let body = page.render().map_err(|e| ApiError::internal(&e))?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body))
}

fn check_csrf(state: &AppState, principal: &Principal, presented: &str) -> Result<(), ApiError> {
    csrf::check_session(&state.kek, principal.session.as_deref(), presented)
}

/// The page's language and its nav bar, for a signed-in staff member.
async fn frame(state: &AppState, principal: &Principal, req: &HttpRequest) -> (Lang, Nav) {
    let chosen = language::chosen(state, principal).await;
    let t = chosen.unwrap_or_else(|| language::browser(req));
    let csrf = csrf::session_token(&state.kek, principal.session.as_deref().unwrap_or(""));
    let mut nav = Nav::new(t, &principal.actor, principal.role.as_str(), csrf, chosen);
    nav.keeps_lists = principal.require(Permission::SignOffFraud).is_ok();
    (t, nav)
}

/// The login page sets (or keeps) the nonce cookie its form token is bound to; `?failed` shows the error line,
/// `?busy` the throttled one.
async fn login_page(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let flag = |name: &str| req.query_string().split('&').any(|pair| pair.split('=').next() == Some(name));
    let (failed, busy) = (flag("failed"), flag("busy"));
    let nonce = csrf::login_nonce(&req);
    let page = LoginPage { t: language::browser(&req), failed, busy, csrf: csrf::login_token(&state.kek, &nonce) };
    let mut response = html(page)?;
    response.add_cookie(&csrf::login_cookie(nonce, state.secure_cookies, None)).map_err(|e| ApiError::internal(&e))?;
    Ok(response)
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: zeroize::Zeroizing<String>,
    totp: String,
    #[serde(default)]
    csrf: String,
}

/// The login form, parsed from the raw body, which is then zeroed whatever the outcome (it held the password):
/// `web::Form` would leave its copy of the body unwiped.
fn login_form(req: &HttpRequest, body: &mut web::BytesMut) -> Result<LoginForm, ApiError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    let urlencoded = essence.eq_ignore_ascii_case("application/x-www-form-urlencoded");
    let parsed = if urlencoded {
        serde_urlencoded::from_bytes::<LoginForm>(body)
            .map_err(|_| ApiError::new(ErrorCode::InvalidBody, "the form does not have the expected fields"))
    } else {
        Err(ApiError::new(ErrorCode::UnsupportedMediaType, "expected application/x-www-form-urlencoded"))
    };
    let bytes: &mut [u8] = body;
    zeroize::Zeroize::zeroize(bytes);
    parsed
}

async fn login(req: HttpRequest, body: web::Bytes, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    // The extractor's buffer is not shared; were it, only a copy could be wiped.
    let mut body = body.try_into_mut().unwrap_or_else(|shared| web::BytesMut::from(&shared[..]));
    let form = login_form(&req, &mut body)?;
    csrf::check_login(&state.kek, &req, &form.csrf)?;
    let LoginForm { username, password, totp, .. } = form;
    match state.sessions.open(&origin(&req), &username, password, &totp).await {
        Ok(session) if session.role.is_staff() => {
            let mut response = redirect("/console");
            response
                .add_cookie(&session_cookie(&state, session.token.plaintext.to_string(), state.session_ttl_secs))
                .map_err(|e| ApiError::internal(&e))?;
            response
                .add_cookie(&csrf::login_cookie(String::new(), state.secure_cookies, Some(0)))
                .map_err(|e| ApiError::internal(&e))?;
            Ok(response)
        }
        Err(SessionError::TooManyAttempts { .. } | SessionError::Overloaded) => Ok(redirect("/console/login?busy=1")),
        Ok(_) | Err(_) => Ok(redirect("/console/login?failed=1")),
    }
}

/// A form's CSRF field; absent is the same as wrong (403 csrf_failed, not a parse error).
#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    principal: Option<Principal>,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(principal) = principal else { return Ok(redirect("/console/login")) };
    check_csrf(&state, &principal, &form.csrf)?;
    state.sessions.close(&principal).await?;
    let mut response = redirect("/console/login");
    response.add_cookie(&session_cookie(&state, String::new(), 0)).map_err(|e| ApiError::internal(&e))?;
    Ok(response)
}

/// A signed-in staff member allowed to read cases; anyone else is sent to the login page.
fn reviewer(principal: Option<Principal>) -> Option<Principal> {
    principal.filter(|p| p.session.is_some() && p.require(Permission::ReadCase).is_ok())
}

/// The queue's view: `?sort=` oldest (the default), newest or priority (fraud signals first, then oldest);
/// `?status=` and `?reason=` keep only the cases with that status or reason code. Anything unknown is ignored.
#[derive(Deserialize)]
struct QueueQuery {
    sort: Option<String>,
    status: Option<String>,
    reason: Option<String>,
}

async fn queue(
    req: HttpRequest,
    principal: Option<Principal>,
    query: web::Query<QueueQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(principal) = reviewer(principal) else { return Ok(redirect("/console/login")) };
    let view = pages::QueueView::parse(query.sort.as_deref(), query.status.as_deref(), query.reason.as_deref());
    let rows = state.review.queue(&principal, PURPOSE, view.base_sort()).await?;
    let (t, nav) = frame(&state, &principal, &req).await;
    html(QueuePage::new(t, nav, &rows, view))
}

async fn case_page(
    req: HttpRequest,
    principal: Option<Principal>,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(principal) = reviewer(principal) else { return Ok(redirect("/console/login")) };
    let view = state.review.show(&principal, case_id(&path)?, PURPOSE).await?;
    let (t, nav) = frame(&state, &principal, &req).await;
    let can_work = principal.require(Permission::DecideCase).is_ok();
    let mut page = CasePage::new(t, nav, &view.case, view.notes, can_work);
    page.keeps_lists = principal.require(Permission::SignOffFraud).is_ok();
    page.recapture_requested = req.query_string().split('&').any(|pair| pair == "recapture=requested");
    html(page)
}

async fn crop(
    principal: Option<Principal>,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(principal) = reviewer(principal) else { return Ok(redirect("/console/login")) };
    let (raw_id, kind) = path.into_inner();
    Ok(png_response(state.review.crop(&principal, case_id(&raw_id)?, &kind, PURPOSE).await?))
}

#[derive(Deserialize)]
struct DecisionForm {
    #[serde(default)]
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
    check_csrf(&state, &principal, &form.csrf)?;
    let id = case_id(&path)?;
    state.review.decide(&principal, id, form.outcome, &form.comment, PURPOSE).await?;
    Ok(redirect(&format!("/console/cases/{id}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn posted(content_type: &str, body: &str) -> (Result<LoginForm, ApiError>, web::BytesMut) {
        let req = TestRequest::post().insert_header((header::CONTENT_TYPE, content_type)).to_http_request();
        let mut buffer = web::BytesMut::from(body);
        (login_form(&req, &mut buffer), buffer)
    }

    #[test]
    fn the_login_body_is_zeroed_after_parsing_whatever_the_outcome() {
        let form = "application/x-www-form-urlencoded";
        let (parsed, buffer) = posted(form, "username=ana&password=s3cret+pass%21&totp=123456&csrf=t");
        let parsed = parsed.unwrap_or_else(|e| panic!("parsed: {}", e.message()));
        assert_eq!((parsed.username.as_str(), parsed.password.as_str()), ("ana", "s3cret pass!"));
        assert_eq!((parsed.totp.as_str(), parsed.csrf.as_str()), ("123456", "t"));
        assert!(!buffer.is_empty() && buffer.iter().all(|&b| b == 0), "the body held the password");
        let (no_csrf, _) = posted("application/x-www-form-urlencoded; charset=UTF-8", "username=a&password=b&totp=1");
        assert!(no_csrf.is_ok_and(|f| f.csrf.is_empty()), "a missing CSRF field is refused by the CSRF check");
        for (content_type, body, code) in [
            (form, "username=ana&password=s3cret", ErrorCode::InvalidBody),
            ("text/plain", "username=ana&password=s3cret&totp=1", ErrorCode::UnsupportedMediaType),
        ] {
            let (refused, buffer) = posted(content_type, body);
            assert_eq!(refused.err().map(|e| e.code), Some(code), "{content_type} {body}");
            assert!(buffer.iter().all(|&b| b == 0), "zeroed when refused too");
        }
    }
}
