//! Consent records (crate::privacy behind them): `POST /v1/consents`, `GET /v1/consents/{id}`,
//! `DELETE /v1/consents/{id}`. Withdrawal stops biometric processing and crypto-shreds the subject's templates.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{AppState, Principal};
use crate::error::ApiError;
use crate::policy::Permission;
use crate::privacy::{ConsentInput, PrivacyError};
use crate::store::consents::ConsentChannel;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/consents", web::post().to(record))
        .route("/consents/{id}", web::get().to(show))
        .route("/consents/{id}", web::delete().to(withdraw));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsentRequest {
    subject_ref: String,
    channel: ConsentChannel,
    text_version: String,
    cross_border: bool,
    /// When the applicant consented, if not now (RFC 3339, not in the future).
    #[serde(default, with = "time::serde::rfc3339::option")]
    given_at: Option<time::OffsetDateTime>,
}

fn consent_id(path: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(path).map_err(|_| PrivacyError::NoSuchConsent.into())
}

#[tracing::instrument(name = "consent.record", skip_all)]
async fn record(
    principal: Principal,
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::RecordConsent, &req)?;
    let body: ConsentRequest = super::parse_json(&body)?;
    let input = ConsentInput {
        subject_ref: body.subject_ref,
        channel: body.channel,
        text_version: body.text_version,
        cross_border: body.cross_border,
        given_at: body.given_at,
    };
    let consent = state.privacy.record_consent(&principal, purpose, input).await?;
    Ok(HttpResponse::Created().json(consent))
}

#[tracing::instrument(name = "consent.show", skip_all)]
async fn show(
    req: HttpRequest,
    path: web::Path<String>,
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::ReadConsent, &req)?;
    let consent = state.privacy.consent(&principal, purpose, consent_id(&path)?).await?;
    Ok(HttpResponse::Ok().json(consent))
}

#[derive(Serialize)]
struct Withdrawn {
    consent_id: Uuid,
    withdrawn: bool,
    /// For staff only: a client would learn from it whether another client enrolled the same applicant.
    #[serde(skip_serializing_if = "Option::is_none")]
    templates_destroyed: Option<u64>,
}

#[tracing::instrument(name = "consent.withdraw", skip_all)]
async fn withdraw(
    req: HttpRequest,
    path: web::Path<String>,
    principal: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let purpose = principal.authorize(Permission::WithdrawConsent, &req)?;
    let done = state.privacy.withdraw_consent(&principal, purpose, consent_id(&path)?).await?;
    let templates_destroyed = done.templates_destroyed;
    Ok(HttpResponse::Ok().json(Withdrawn { consent_id: done.consent_id, withdrawn: true, templates_destroyed }))
}
