//! Staff sign-in: `POST /v1/auth/login` (password + TOTP, both always) and `POST /v1/auth/logout`.

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::principal::SESSION_COOKIE;
use super::{store_error, unix_now, AppState, Principal, StoreResultExt};
use crate::audit::{self, Action, AuditEvent, Outcome};
use crate::auth::{login as sign_in, LoginError};
use crate::error::{ApiError, ErrorCode};
use crate::store::access;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/login", web::post().to(login)).route("/auth/logout", web::post().to(logout));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    username: String,
    password: Zeroizing<String>,
    totp: String,
}

#[derive(Serialize)]
struct LoginResponse {
    role: &'static str,
    expires_at: i64,
}

pub(crate) fn session_cookie(state: &AppState, value: String, max_age: i64) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .path("/")
        .http_only(true)
        .secure(state.secure_cookies)
        .same_site(SameSite::Strict)
        .max_age(Duration::seconds(max_age))
        .finish()
}

#[tracing::instrument(name = "auth.login", skip_all)]
async fn login(req: HttpRequest, body: web::Bytes, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let LoginRequest { username, password, totp } = super::parse_json(&body)?;
    let request_id = req.extensions().get::<tracing_actix_web::RequestId>().map(|id| id.to_string());
    let session = open_session(&state, &username, &password, &totp, request_id.as_deref()).await?;
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(&state, session.token.plaintext.to_string(), state.session_ttl_secs))
        .json(LoginResponse { role: session.role.as_str(), expires_at: session.expires_at }))
}

pub(crate) struct OpenedSession {
    pub token: crate::auth::SessionToken,
    pub role: crate::policy::Role,
    pub expires_at: i64,
}

/// Password + TOTP; on success a session row, and either way an audit row (login / login_failed), together.
pub(crate) async fn open_session(
    state: &AppState,
    username: &str,
    password: &str,
    totp: &str,
    request_id: Option<&str>,
) -> Result<OpenedSession, ApiError> {
    let retry = state.retry_after_secs;
    let outcome =
        sign_in(&state.store, &state.kek, username, password.to_owned(), totp, unix_now(), state.lockout).await;
    let actor: String = username.chars().take(64).collect();
    let (role, result, action) = match &outcome {
        Ok(l) => (l.role.as_str(), Outcome::Success, Action::Login),
        Err(_) => ("unknown", Outcome::Denied, Action::LoginFailed),
    };
    let event = AuditEvent { actor: &actor, role, action, purpose: None, subject_ref: None, result, request_id };
    let mut tx = state.store.begin_write().await.api(retry)?;
    let session = match &outcome {
        Ok(login) => {
            let (token, expires_at) = login.new_session(unix_now(), state.session_ttl_secs);
            access::insert_session(&mut tx, &token.sha256, &login.username, login.role, expires_at).await.api(retry)?;
            Some(OpenedSession { token, role: login.role, expires_at })
        }
        Err(_) => None,
    };
    audit::append(&mut tx, &event).await.api(retry)?;
    if matches!(outcome, Err(LoginError::LockedOut)) {
        let detail = format!("staff account locked after {} failed logins", state.lockout.threshold);
        audit::raise(&mut tx, audit::SecurityEvent::RepeatedFailedLogins, audit::Severity::Warning, &detail)
            .await
            .api(retry)?;
    }
    tx.commit().await.api(retry)?;
    match (outcome, session) {
        (Ok(_), Some(session)) => Ok(session),
        (Err(LoginError::Store(e)), _) => Err(store_error(e, retry)),
        _ => Err(ApiError::new(ErrorCode::InvalidCredentials, "invalid username, password or code")),
    }
}

#[tracing::instrument(name = "auth.logout", skip_all)]
async fn logout(principal: Principal, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    close_session(&state, &principal).await?;
    Ok(HttpResponse::NoContent().cookie(session_cookie(&state, String::new(), 0)).finish())
}

/// Deletes the caller's session with its audit row.
pub(crate) async fn close_session(state: &AppState, principal: &Principal) -> Result<(), ApiError> {
    let retry = state.retry_after_secs;
    let Some(session) = principal.session.as_deref() else {
        return Err(ApiError::new(ErrorCode::Forbidden, "service accounts have no session"));
    };
    let mut tx = state.store.begin_write().await.api(retry)?;
    access::delete_session(&mut tx, session).await.api(retry)?;
    audit::append(&mut tx, &principal.event(Action::Logout, None, None, Outcome::Success)).await.api(retry)?;
    tx.commit().await.api(retry)
}
