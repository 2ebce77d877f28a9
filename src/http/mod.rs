//! HTTP resources. Each module exposes `configure`; the route table reads top to bottom here.

mod allowlist;
mod audit;
pub(crate) mod auth;
mod blocklist;
mod case_work;
pub(crate) mod cases;
mod consents;
pub(crate) mod edges;
mod form;
mod health;
mod liveness;
mod openapi;
mod principal;
mod routes;
mod security;
mod subjects;
mod verifications;

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use tokio::sync::Semaphore;

use crate::error::{ApiError, ErrorCode};
use crate::pipeline::pool::InferencePool;
use crate::store::Store;
use crate::vault::Kek;

use crate::error::ErrorBody;
pub(crate) use form::FormLimits;
pub use principal::Principal;

/// Shared, immutable per-application state.
pub struct AppState {
    /// The verification use case (crate::verification).
    pub(crate) verifications: crate::verification::Verifications,
    /// Liveness sessions (crate::liveness).
    pub(crate) liveness: crate::liveness::LivenessSessions,
    /// Fraud analysts' review (crate::review).
    pub(crate) review: crate::review::Review,
    /// Staff sign-in and sign-out (crate::auth::Sessions).
    pub(crate) sessions: crate::auth::Sessions,
    /// The audit log and security events for auditors and the DPO (crate::oversight).
    pub(crate) oversight: crate::oversight::Oversight,
    /// Consent and erasure (crate::privacy).
    pub(crate) privacy: crate::privacy::Privacy,
    /// Signed evidence packages (crate::evidence).
    pub(crate) evidence: crate::evidence::Evidence,
    pub(crate) store: Store,
    pub(crate) pool: Arc<InferencePool>,
    pub(crate) kek: Arc<Kek>,
    pub(crate) gallery: Arc<crate::gallery::Gallery>,
    /// Seconds without a successful gallery synchronisation after which the replica is not ready.
    pub(crate) gallery_max_lag_secs: f64,
    /// Verification bodies being read (before admission); beyond it: 503 overloaded.
    pub(crate) uploads: Arc<Semaphore>,
    pub(crate) max_uploads: usize,
    pub(crate) form_limits: FormLimits,
    pub(crate) retry_after_secs: u64,
    pub(crate) session_ttl_secs: i64,
    pub(crate) session_max_lifetime_secs: i64,
    pub(crate) secure_cookies: bool,
}

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::configure).service(
        web::scope("/v1")
            .configure(auth::configure)
            .configure(verifications::configure)
            .configure(liveness::configure)
            .configure(consents::configure)
            .configure(cases::configure)
            .configure(blocklist::configure)
            .configure(allowlist::configure)
            .configure(subjects::configure)
            .configure(security::configure)
            .configure(audit::configure),
    );
}

/// What no route took: 405 for a documented path with another method (`edges` adds `Allow`), else 404.
pub(crate) async fn not_found(req: actix_web::HttpRequest) -> Result<HttpResponse, ApiError> {
    if routes::allowed(req.path()).is_some() {
        return Err(ApiError::new(ErrorCode::MethodNotAllowed, "method not allowed"));
    }
    Err(ApiError::new(ErrorCode::NotFound, "no such resource"))
}

/// Small JSON bodies (consents, logins) are read as bytes up to this size; larger ones get 413.
pub(crate) fn body_config() -> web::PayloadConfig {
    web::PayloadConfig::new(16 * 1024)
}

/// Parses a JSON body inside the handler, after authentication: a typed 400, never actix's plain-text error.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|_| ApiError::new(ErrorCode::InvalidBody, "the body is not the expected JSON object"))
}

pub(crate) fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
