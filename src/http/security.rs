//! Breach detection for the DPO (policy §11): the security events, and an incident export with what the
//! notification to the authority (within one business day of detection) needs.

use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, Weekday};
use utoipa::ToSchema;

use super::{AppState, ErrorBody, Principal};
use crate::audit::{self, Action, Outcome};
use crate::error::{ApiError, ErrorCode};
use crate::policy::Permission;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/security/events", web::get().to(events)).route("/security/incident", web::get().to(incident));
}

#[derive(Deserialize)]
struct Window {
    /// RFC 3339; default: 30 days ago.
    since: Option<String>,
}

fn since(window: &Window) -> Result<String, ApiError> {
    match &window.since {
        Some(s) => OffsetDateTime::parse(s, &Rfc3339)
            .ok()
            .and_then(|t| crate::store::timestamp(t).ok())
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidBody, "since must be an RFC 3339 time")),
        None => {
            crate::store::timestamp(OffsetDateTime::now_utc() - Duration::days(30)).map_err(|e| ApiError::internal(&e))
        }
    }
}

async fn load(
    state: &AppState,
    principal: &Principal,
    req: &HttpRequest,
    window: &Window,
) -> Result<(String, Vec<audit::StoredEvent>), ApiError> {
    let purpose = principal.authorize(Permission::ReadSecurityEvents, req)?;
    let since = since(window)?;
    let mut tx = state.store.begin_write().await?;
    let found = audit::events_since(&mut tx, &since, 1000).await?;
    let audited =
        audit::append(&mut tx, &principal.event(Action::ReadSecurityEvents, Some(purpose), None, Outcome::Success))
            .await?;
    tx.commit(audited).await?;
    Ok((since, found))
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
    let (since, found) = load(&state, &principal, &req, &window).await?;
    Ok(HttpResponse::Ok().json(SecurityEvents { since, events: found }))
}

/// The next business day (Monday to Friday) after `t`, same time of day.
fn one_business_day_after(t: OffsetDateTime) -> OffsetDateTime {
    let mut next = t + Duration::days(1);
    while matches!(next.weekday(), Weekday::Saturday | Weekday::Sunday) {
        next += Duration::days(1);
    }
    next
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
    let (since, found) = load(&state, &principal, &req, &window).await?;
    let mut by_kind = BTreeMap::<String, usize>::new();
    for e in &found {
        *by_kind.entry(e.kind.clone()).or_default() += 1;
    }
    let first = found.first().and_then(|e| OffsetDateTime::parse(&e.at, &Rfc3339).ok());
    let deadline = first.map(one_business_day_after).and_then(|d| d.format(&Rfc3339).ok());
    let generated_at = OffsetDateTime::now_utc().format(&Rfc3339).map_err(|e| ApiError::internal(&e))?;
    let detected_at = found.first().map(|e| e.at.clone());
    Ok(HttpResponse::Ok().json(IncidentExport {
        generated_at,
        window_since: since,
        detected_at,
        notify_authority_by: deadline,
        events_by_kind: by_kind,
        events: found,
        data_categories: DATA_CATEGORIES,
        protection_in_place: "envelope encryption with per-subject keys; keys never stored beside the data; \
                              hash-chained audit log",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notification_deadline_skips_weekends() {
        let friday = time::macros::datetime!(2026-11-27 10:00 UTC);
        assert_eq!(one_business_day_after(friday).weekday(), Weekday::Monday);
        let tuesday = time::macros::datetime!(2026-11-24 10:00 UTC);
        assert_eq!(one_business_day_after(tuesday).weekday(), Weekday::Wednesday);
    }
}
