//! HTTP resources. Each module exposes `configure`; the route table reads top to bottom here.

mod form;
mod health;
mod verifications;

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use tokio::sync::Semaphore;

use crate::decision::Thresholds;
use crate::error::{ApiError, ErrorCode};
use crate::pipeline::pool::InferencePool;
use crate::store::Store;

pub(crate) use form::FormLimits;

/// Shared, immutable per-application state.
pub struct AppState {
    pub(crate) store: Store,
    pub(crate) pool: Arc<InferencePool>,
    /// Verifications admitted at once (in a worker or waiting for one); beyond it: 503 overloaded.
    pub(crate) admission: Arc<Semaphore>,
    pub(crate) thresholds: Thresholds,
    pub(crate) form_limits: FormLimits,
    pub(crate) retry_after_secs: u64,
}

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::configure).service(web::scope("/v1").configure(verifications::configure));
}

/// JSON 404 for unknown paths, instead of actix's empty body.
pub(crate) async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(ErrorCode::NotFound, "no such resource"))
}
