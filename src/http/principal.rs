//! Who is calling, and for what. `Principal` authenticates (API key or staff session), `require` checks the
//! role -> permission table, `purpose` checks the declared purpose against the role's purposes.

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use super::{AppState, StoreResultExt};
use crate::audit::{Action, AuditEvent, Outcome};
use crate::auth::{digests_equal, sha256_hex, TokenKind};
use crate::domain::Purpose;
use crate::error::{ApiError, ErrorCode};
use crate::policy::{permits, purposes, Permission, Role};

pub(crate) const SESSION_COOKIE: &str = "fv_session";
pub(crate) const PURPOSE_HEADER: &str = "X-Purpose";

#[derive(Debug, Clone)]
pub struct Principal {
    pub actor: String,
    pub role: Role,
    /// Digest of the session token, for logout; `None` for API keys.
    pub(crate) session: Option<String>,
    pub request_id: String,
}

impl Principal {
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if permits(self.role, permission) {
            Ok(())
        } else {
            Err(ApiError::new(ErrorCode::Forbidden, "this role may not perform this action"))
        }
    }

    /// The purpose this request declares (policy §6), checked against what the role may use.
    pub fn allow_purpose(&self, purpose: Option<Purpose>) -> Result<Purpose, ApiError> {
        match purpose {
            Some(p) if purposes(self.role).contains(&p) => Ok(p),
            _ => Err(ApiError::new(
                ErrorCode::PurposeNotPermitted,
                "declare a permitted purpose: identification or anti_fraud, as this role allows",
            )),
        }
    }

    /// An audit event for an action this principal performed; `subject_ref` in clear (the row stores its pseudonym).
    pub fn event<'a>(
        &'a self,
        action: Action,
        purpose: Option<Purpose>,
        subject_ref: Option<&'a str>,
        result: Outcome,
    ) -> AuditEvent<'a> {
        AuditEvent {
            actor: &self.actor,
            role: self.role.as_str(),
            action,
            purpose,
            subject_ref: subject_ref.map(crate::audit::Subject::Clear),
            result,
            request_id: Some(&self.request_id),
        }
    }

    /// The client (service account) this request comes from; `None` for staff. Clients see only what they
    /// created: their verifications, consents and idempotency keys (404 across clients).
    pub fn client(&self) -> Option<&str> {
        (self.session.is_none() && self.role == Role::Onboarding).then_some(self.actor.as_str())
    }

    /// Whether this principal may see a record created by `owner` (staff see every record).
    pub fn owns(&self, owner: Option<&str>) -> bool {
        self.client().is_none_or(|client| owner == Some(client))
    }

    /// The permission check and the declared purpose together: what every staff and client request starts with.
    pub fn authorize(&self, permission: Permission, req: &HttpRequest) -> Result<Purpose, ApiError> {
        self.require(permission)?;
        self.header_purpose(req)
    }

    /// The purpose from the `X-Purpose` header.
    pub fn header_purpose(&self, req: &HttpRequest) -> Result<Purpose, ApiError> {
        let declared = req.headers().get(PURPOSE_HEADER).and_then(|v| v.to_str().ok()).and_then(Purpose::parse);
        self.allow_purpose(declared)
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
            let retry = state.retry_after_secs;
            match TokenKind::parse(&token).ok_or_else(unauthenticated)? {
                TokenKind::ApiKey { key_id, secret } => {
                    let account = state.store.service_account(key_id).await.api(retry)?;
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
                        .await
                        .api(retry)?
                        .ok_or_else(unauthenticated)?;
                    Ok(Principal { actor: session.username, role: session.role, session: Some(digest), request_id })
                }
            }
        })
    }
}
