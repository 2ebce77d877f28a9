//! Liveness and readiness probes.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/openapi.json", web::get().to(openapi))
        .route("/metrics", web::get().to(metrics));
}

/// Prometheus exposition. No personal data in any label.
#[utoipa::path(
    get, path = "/metrics", operation_id = "metrics",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String))
)]
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let (in_flight, capacity) = state.verifications.in_flight();
    let body = crate::metrics::render(&crate::metrics::Scrape {
        in_flight,
        capacity,
        uploads_in_flight: state.max_uploads.saturating_sub(state.uploads.available_permits()),
        uploads_capacity: state.max_uploads,
        gallery_templates: state.gallery.len(),
        gallery_sync_age_secs: state.gallery.sync_age_secs(),
        gallery_other_model_templates: state.gallery.other_model_templates(),
        duplicate_bar: state.verifications.duplicate_bar(),
        gallery_int8: state.gallery.uses_int8(),
        audit_lanes: state.store.audit_lanes(),
    });
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(body)
}

// Generated from the handlers' annotations (`super::openapi`); openapi/openapi.json is a committed copy that
// `tests/api/openapi.rs` holds equal to it.
#[utoipa::path(
    get, path = "/openapi.json", operation_id = "openapi",
    responses((status = 200, description = "this document", body = Object))
)]
async fn openapi() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(super::openapi::json())
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Health {
    /// Always `ok`: the process answers.
    status: &'static str,
}

#[utoipa::path(
    get, path = "/healthz", operation_id = "healthz",
    responses((status = 200, description = "up", body = Health))
)]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ReadyStatus {
    Ready,
    NotReady,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ReadyChecks {
    models: bool,
    database: bool,
    gallery: bool,
    gallery_current: bool,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Readiness {
    status: ReadyStatus,
    checks: ReadyChecks,
    /// Seconds since the last gallery synchronisation (one decimal); null before the first.
    gallery_lag_seconds: Option<f64>,
}

/// Ready when the models are loaded (workers alive), the database answers, the gallery holds every stored
/// template (without it, 1:N search would silently miss enrolled faces: a template that failed its integrity check
/// keeps the service not ready until the operator has dealt with it, see `faceverify vault check`) and it was
/// synchronised with the store within ten `gallery.sync_interval_ms`.
#[utoipa::path(
    get, path = "/readyz", operation_id = "readyz",
    responses(
        (status = 200, description = "ready", body = Readiness),
        (status = 503, description = "not ready", body = Readiness),
    )
)]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let models = state.pool.is_alive();
    let database = state.store.ping().await.is_ok();
    let gallery = state.gallery.is_complete();
    // Another replica's enrolments reach this one's gallery by synchronisation passes: a replica whose passes
    // stopped would search a gallery that misses faces.
    let lag = state.gallery.sync_age_secs();
    let gallery_current = lag.is_some_and(|s| s <= state.gallery_max_lag_secs);
    let ready = models && database && gallery && gallery_current;
    let body = Readiness {
        status: if ready { ReadyStatus::Ready } else { ReadyStatus::NotReady },
        checks: ReadyChecks { models, database, gallery, gallery_current },
        gallery_lag_seconds: lag.map(|s| (s * 10.0).round() / 10.0),
    };
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
