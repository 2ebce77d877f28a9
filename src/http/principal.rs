//! Who is calling: `Principal` (crate::auth) authenticated from an API key or a staff session, and the purpose the
//! request declares in `X-Purpose`.

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use super::AppState;
pub use crate::auth::Principal;
use crate::auth::{digests_equal, sha256_hex, TokenKind};
use crate::domain::Purpose;
use crate::error::{ApiError, ErrorCode};
use crate::policy::Permission;

pub(crate) const SESSION_COOKIE: &str = "fv_session";
pub(crate) const PURPOSE_HEADER: &str = "X-Purpose";

/// The front-end's half of `Principal`: the purpose a request declares in its header.
impl Principal {
    /// The permission check and the declared purpose together: what every staff and client request starts with.
    pub fn authorize(&self, permission: Permission, req: &HttpRequest) -> Result<Purpose, ApiError> {
        self.require(permission)?;
        self.header_purpose(req)
    }

    /// The purpose from the `X-Purpose` header.
    pub fn header_purpose(&self, req: &HttpRequest) -> Result<Purpose, ApiError> {
        let declared = req.headers().get(PURPOSE_HEADER).and_then(|v| v.to_str().ok()).and_then(Purpose::parse);
        Ok(self.allow_purpose(declared)?)
    }
}

fn unauthenticated() -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, "authentication required")
}

fn bearer_or_cookie(req: &HttpRequest) -> Option<String> {
    let bearer = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    bearer.or_else(|| req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()))
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_or_cookie(req);
        let request_id =
            req.extensions().get::<tracing_actix_web::RequestId>().map(|id| id.to_string()).unwrap_or_default();
        Box::pin(async move {
            let state = state.ok_or_else(unauthenticated)?;
            let token = token.ok_or_else(unauthenticated)?;
            match TokenKind::parse(&token).ok_or_else(unauthenticated)? {
                TokenKind::ApiKey { key_id, secret } => {
                    let account = state.store.service_account(key_id).await?;
                    match account {
                        Some(a) if digests_equal(&sha256_hex(secret), &a.secret_sha256) => {
                            Ok(Principal { actor: a.name, role: a.role, session: None, request_id })
                        }
                        _ => Err(unauthenticated()),
                    }
                }
                TokenKind::Session { secret } => {
                    let digest = sha256_hex(secret);
                    let now = super::unix_now();
                    let session = state
                        .store
                        .touch_session(&digest, now, now + state.session_ttl_secs, state.session_max_lifetime_secs)
                        .await?
                        .ok_or_else(unauthenticated)?;
                    Ok(Principal { actor: session.username, role: session.role, session: Some(digest), request_id })
                }
            }
        })
    }
}
