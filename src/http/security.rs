//! Breach detection for the DPO (policy §11), in front of crate::oversight: the security events, and an incident
//! export with what the notification to the authority (within one business day of detection) needs.

use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{AppState, ErrorBody, Principal};
use crate::audit;
use crate::error::ApiError;
use crate::policy::Permission;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/security/events", web::get().to(events)).route("/security/incident", web::get().to(incident));
}

#[derive(Deserialize)]
struct Window {
    /// RFC 3339; default: 30 days ago.
    since: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SecurityEvents {
    /// The start of the window (RFC 3339).
    since: String,
    /// Oldest first, at most 1000.
    events: Vec<audit::StoredEvent>,
}

#[utoipa::path(
    get, path = "/v1/security/events", operation_id = "securityEvents",
    security(("bearer" = []), ("session" = [])),
    params(super::openapi::PurposeHeader, ("since" = Option<OffsetDateTime>, Query)),
    responses(
        (status = 200, description = "events", body = SecurityEvents),
        (status = 400, description = "error", body = ErrorBody),
        super::openapi::Refusals,
    )
)]
async fn events(
    principal: Principal,
    req: HttpRequest,
    window: web::Query<Window>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::ReadSecurityEvents, &req)?;
    let found = state.oversight.security_events(&principal, purpose, window.since.as_deref()).await?;
    Ok(HttpResponse::Ok().json(SecurityEvents { since: found.since, events: found.events }))
}

/// What the notification of a breach to the authority needs.
#[derive(Serialize, ToSchema)]
pub(crate) struct IncidentExport {
    generated_at: String,
    window_since: String,
    /// The first event of the window.
    detected_at: Option<String>,
    /// One business day after detection.
    notify_authority_by: Option<String>,
    events_by_kind: BTreeMap<String, usize>,
    events: Vec<audit::StoredEvent>,
    data_categories: &'static [&'static str],
    protection_in_place: &'static str,
}

const DATA_CATEGORIES: &[&str] = &[
    "biometric templates (AES-256-GCM sealed)",
    "face crops of review cases (sealed)",
    "verification decisions",
    "applicant references",
    "consent records",
    "staff accounts",
];

#[utoipa::path(
    get, path = "/v1/security/incident", operation_id = "incidentExport",
    security(("bearer" = []), ("session" = [])),
    params(super::openapi::PurposeHeader, ("since" = Option<OffsetDateTime>, Query)),
    responses(
        (status = 200, description = "incident export", body = IncidentExport),
        (status = 400, description = "error", body = ErrorBody),
        super::openapi::Refusals,
    )
)]
async fn incident(
    principal: Principal,
    req: HttpRequest,
    window: web::Query<Window>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::ReadSecurityEvents, &req)?;
    let found = state.oversight.security_events(&principal, purpose, window.since.as_deref()).await?;
    let generated_at = OffsetDateTime::now_utc().format(&Rfc3339).map_err(|e| ApiError::internal(&e))?;
    Ok(HttpResponse::Ok().json(IncidentExport {
        generated_at,
        window_since: found.since,
        detected_at: found.detected_at,
        notify_authority_by: found.notify_authority_by,
        events_by_kind: found.events_by_kind,
        events: found.events,
        data_categories: DATA_CATEGORIES,
        protection_in_place: "envelope encryption with per-subject keys; keys never stored beside the data; \
                              hash-chained audit log",
    }))
}
