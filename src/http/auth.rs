//! Staff sign-in (crate::auth::Sessions behind it): `POST /v1/auth/login` (password + TOTP, both always) and
//! `POST /v1/auth/logout`.

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zeroize::{Zeroize, Zeroizing};

use super::principal::SESSION_COOKIE;
use super::{AppState, ErrorBody, Principal};
use crate::auth::Origin;
use crate::error::{ApiError, ErrorCode};

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
    let session = state.sessions.open(&origin(&req), &username, password, &totp).await?;
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

/// The `X-Forwarded-For` values, joined (only believed from `auth.trusted_proxies`).
fn forwarded_for(req: &HttpRequest) -> Option<String> {
    let values: Vec<&str> = req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()).collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// Where the request comes from, for the sign-in throttle and the audit row.
pub(crate) fn origin(req: &HttpRequest) -> Origin {
    Origin {
        peer: req.peer_addr().map(|a| a.ip()),
        forwarded_for: forwarded_for(req),
        request_id: req.extensions().get::<tracing_actix_web::RequestId>().map(|id| id.to_string()),
    }
}

#[utoipa::path(
    post, path = "/v1/auth/logout", operation_id = "logout",
    security(("bearer" = []), ("session" = [])),
    responses((status = 204, description = "signed out"), super::openapi::Refusals)
)]
#[tracing::instrument(name = "auth.logout", skip_all)]
async fn logout(principal: Principal, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.sessions.close(&principal).await?;
    Ok(HttpResponse::NoContent().cookie(session_cookie(&state, String::new(), 0)).finish())
}
