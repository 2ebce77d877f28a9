//! Staff sign-in: `POST /v1/auth/login` (password + TOTP, both always) and `POST /v1/auth/logout`.

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zeroize::{Zeroize, Zeroizing};

use super::principal::SESSION_COOKIE;
use super::{store_error, unix_now, AppState, ErrorBody, Principal, StoreResultExt};
use crate::audit::{self, Action, AuditEvent, Outcome};
use crate::auth::{login as sign_in, Attempt, LoginError, Refusal};
use crate::error::{ApiError, ErrorCode};
use crate::store::{access, lockout};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/login", web::post().to(login)).route("/auth/logout", web::post().to(logout));
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginRequest {
    username: String,
    #[schema(value_type = String)]
    password: Zeroizing<String>,
    /// The current six-digit code of the account's authenticator.
    totp: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LoginResponse {
    /// The staff role the session acts with.
    role: &'static str,
    /// When the session ends without activity (Unix seconds).
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

/// Signs a staff member in; the session token comes back as the `fv_session` cookie.
#[utoipa::path(
    post, path = "/v1/auth/login", operation_id = "login", request_body = LoginRequest,
    responses(
        (status = 200, description = "session cookie set", body = LoginResponse),
        (status = 400, description = "error", body = ErrorBody),
        (status = 401, description = "error", body = ErrorBody),
        (status = 415, description = "not application/json (unsupported_media_type)", body = ErrorBody),
        (status = 429, description = "too many sign-in attempts from this address or for this username \
            (too_many_attempts, with Retry-After)", body = ErrorBody),
        (status = 503, description = "overloaded: every password-hashing slot busy, or database unavailable (with \
            Retry-After)", body = ErrorBody),
    )
)]
#[tracing::instrument(name = "auth.login", skip_all)]
async fn login(req: HttpRequest, body: web::Bytes, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    // JSON only: a cross-site HTML form can post text/plain without a preflight, and so could sign a victim's
    // browser in to an account the attacker controls (login CSRF). A JSON content type needs a CORS preflight,
    // which this service never grants.
    let json =
        req.headers().get(actix_web::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
            v.split(';').next().is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json {
        wipe(body);
        return Err(ApiError::new(ErrorCode::UnsupportedMediaType, "expected application/json"));
    }
    let parsed = super::parse_json::<LoginRequest>(&body);
    wipe(body);
    let LoginRequest { username, password, totp } = parsed?;
    let session = open_session(&state, &req, &username, password, &totp).await?;
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(&state, session.token.plaintext.to_string(), state.session_ttl_secs))
        .json(LoginResponse { role: session.role.as_str(), expires_at: session.expires_at }))
}

/// Zeroes the request body, which held the password, when nothing else shares its buffer (best effort).
fn wipe(body: web::Bytes) {
    if let Ok(mut buffer) = body.try_into_mut() {
        let bytes: &mut [u8] = &mut buffer;
        bytes.zeroize();
    }
}

pub(crate) struct OpenedSession {
    pub token: crate::auth::SessionToken,
    pub role: crate::policy::Role,
    pub expires_at: i64,
}

/// The `X-Forwarded-For` values, joined (only believed from `auth.trusted_proxies`).
fn forwarded_for(req: &HttpRequest) -> Option<String> {
    let values: Vec<&str> = req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()).collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// Password + TOTP, after the throttle; on success a session row, and either way (unless refused before any
/// credential was checked) an audit row (login / login_failed) with the stored failure count, together.
pub(crate) async fn open_session(
    state: &AppState,
    req: &HttpRequest,
    username: &str,
    password: Zeroizing<String>,
    totp: &str,
) -> Result<OpenedSession, ApiError> {
    let retry = state.retry_after_secs;
    let request_id = req.extensions().get::<tracing_actix_web::RequestId>().map(|id| id.to_string());
    let client = state.login.client_key(req.peer_addr().map(|a| a.ip()), forwarded_for(req).as_deref());
    let now = unix_now();
    let attempt = Attempt { username, password, code: totp, client: &client };
    let outcome = sign_in(&state.store, &state.kek, &state.login, attempt, now).await;
    let login = match outcome {
        Ok(login) => Some(login),
        Err(LoginError::Invalid) => None,
        Err(LoginError::Refused(refusal)) => return Err(refused(refusal, retry)),
        Err(LoginError::Store(e)) => return Err(store_error(e, retry)),
    };
    let actor: String = username.chars().take(64).collect();
    let (role, result, action) = match &login {
        Some(l) => (l.role.as_str(), Outcome::Success, Action::Login),
        None => ("unknown", Outcome::Denied, Action::LoginFailed),
    };
    let event = AuditEvent {
        actor: &actor,
        role,
        action,
        purpose: None,
        subject_ref: None,
        result,
        request_id: request_id.as_deref(),
    };
    let mut tx = state.store.begin_write().await.api(retry)?;
    let session = match &login {
        Some(login) => {
            let (token, expires_at) =
                login.new_session(now, state.session_ttl_secs).map_err(|e| ApiError::internal(&e))?;
            access::insert_session(&mut tx, &token.sha256, &login.username, login.role, now, expires_at)
                .await
                .api(retry)?;
            if login.had_failures {
                lockout::clear_failed_logins(&mut tx, &login.username).await.api(retry)?;
            }
            Some(OpenedSession { token, role: login.role, expires_at })
        }
        None => {
            // Runs for unknown names too (changing nothing): the same statements whoever is asked about.
            if let Some(secs) = lockout::record_failed_login(&mut tx, username, now, state.lockout).await.api(retry)? {
                let detail = format!(
                    "staff account {actor} had {} consecutive failed logins (next report in {secs} s at the earliest)",
                    state.lockout.threshold
                );
                audit::raise(&mut tx, audit::SecurityEvent::RepeatedFailedLogins, audit::Severity::Warning, &detail)
                    .await
                    .api(retry)?;
            }
            None
        }
    };
    audit::append(&mut tx, &event).await.api(retry)?;
    tx.commit().await.api(retry)?;
    session.ok_or_else(|| ApiError::new(ErrorCode::InvalidCredentials, "invalid username, password or code"))
}

fn refused(refusal: Refusal, retry: u64) -> ApiError {
    match refusal {
        Refusal::TooManyAttempts { retry_after_secs } => {
            ApiError::new(ErrorCode::TooManyAttempts, "too many sign-in attempts, retry later")
                .with_retry_after(retry_after_secs)
        }
        Refusal::Overloaded => {
            ApiError::new(ErrorCode::Overloaded, "too many sign-ins in progress, retry later").with_retry_after(retry)
        }
    }
}

#[utoipa::path(
    post, path = "/v1/auth/logout", operation_id = "logout",
    security(("bearer" = []), ("session" = [])),
    responses((status = 204, description = "signed out"), super::openapi::Refusals)
)]
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
