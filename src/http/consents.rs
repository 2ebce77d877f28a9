//! Consent records (crate::privacy behind them): `POST /v1/consents`, `GET /v1/consents/{id}`,
//! `DELETE /v1/consents/{id}`. Withdrawal stops biometric processing and crypto-shreds the subject's templates.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{AppState, ErrorBody, Principal};
use crate::error::ApiError;
use crate::policy::Permission;
use crate::privacy::{ConsentInput, PrivacyError};
use crate::store::consents::{self, ConsentChannel};

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/consents", web::post().to(record))
        .route("/consents/{id}", web::get().to(show))
        .route("/consents/{id}", web::delete().to(withdraw));
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConsentRequest {
    #[schema(pattern = "^[A-Za-z0-9._:-]{1,128}$")]
    subject_ref: String,
    channel: ConsentChannel,
    #[schema(min_length = 1, max_length = 64)]
    text_version: String,
    cross_border: bool,
    /// When the applicant consented, if not now (RFC 3339, not in the future).
    #[serde(default, with = "time::serde::rfc3339::option")]
    given_at: Option<time::OffsetDateTime>,
}

fn consent_id(path: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(path).map_err(|_| PrivacyError::NoSuchConsent.into())
}

#[utoipa::path(
    post, path = "/v1/consents", operation_id = "recordConsent",
    security(("bearer" = [])),
    params(super::openapi::PurposeHeader),
    request_body = ConsentRequest,
    responses(
        (status = 201, description = "recorded", body = consents::Consent),
        (status = 400, description = "error", body = ErrorBody),
        super::openapi::Refusals,
    )
)]
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

#[utoipa::path(
    get, path = "/v1/consents/{id}", operation_id = "getConsent",
    security(("bearer" = []), ("session" = [])),
    params(("id" = Uuid, Path), super::openapi::PurposeHeader),
    responses(
        (status = 200, description = "the consent (without subject_ref: the subject is stored only as its keyed \
            pseudonym)", body = consents::Consent),
        super::openapi::Refusals,
        (status = 404, description = "error", body = ErrorBody),
    )
)]
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

#[derive(Serialize, ToSchema)]
pub(crate) struct Withdrawn {
    consent_id: Uuid,
    withdrawn: bool,
    /// For staff only: a client would learn from it whether another client enrolled the same applicant.
    #[serde(skip_serializing_if = "Option::is_none")]
    templates_destroyed: Option<u64>,
}

#[utoipa::path(
    delete, path = "/v1/consents/{id}", operation_id = "withdrawConsent",
    security(("bearer" = []), ("session" = [])),
    params(("id" = Uuid, Path), super::openapi::PurposeHeader),
    responses(
        (status = 200, description = "withdrawn, biometrics shredded", body = Withdrawn),
        super::openapi::Refusals,
        (status = 404, description = "error", body = ErrorBody),
        (status = 409, description = "error", body = ErrorBody),
    )
)]
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
