//! Consent records: `POST /v1/consents`, `GET /v1/consents/{id}`, `DELETE /v1/consents/{id}`.
//! Withdrawal stops biometric processing and crypto-shreds the subject's templates in the same transaction.
//! The subject is stored, and audited, only as its keyed pseudonym.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{AppState, ErrorBody, Principal, StoreResultExt};
use crate::audit::{self, Action, AuditEvent, Outcome, Subject};
use crate::domain::ApplicantRef;
use crate::error::{ApiError, ErrorCode};
use crate::policy::Permission;
use crate::store::biometrics;
use crate::store::consents::{self, ConsentChannel, NewConsent};

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

fn no_such_consent() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such resource")
}

fn consent_id(path: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(path).map_err(|_| no_such_consent())
}

/// The consent, if this principal may see it: a client only its own (another client's is "not found", as if it
/// did not exist), staff every one.
async fn visible(
    conn: &mut sqlx::AnyConnection,
    principal: &Principal,
    id: Uuid,
    retry: u64,
) -> Result<consents::Consent, ApiError> {
    let consent = consents::get(conn, id).await.api(retry)?;
    if principal.owns(Some(&consent.recorded_by)) {
        Ok(consent)
    } else {
        Err(no_such_consent())
    }
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
    let subject = ApplicantRef::parse(&body.subject_ref).map_err(|_| {
        ApiError::new(ErrorCode::InvalidBody, "subject_ref must be 1 to 128 characters of A-Z a-z 0-9 . _ : -")
    })?;
    let version_ok = !body.text_version.is_empty() && body.text_version.len() <= 64;
    if !version_ok {
        return Err(ApiError::new(ErrorCode::InvalidBody, "text_version must be 1 to 64 characters"));
    }
    let now = time::OffsetDateTime::now_utc();
    let given_at = match body.given_at {
        Some(t) if t > now + time::Duration::minutes(5) => {
            return Err(ApiError::new(ErrorCode::InvalidBody, "given_at is in the future"))
        }
        Some(t) => Some(
            crate::store::timestamp(t)
                .map_err(|_| ApiError::new(ErrorCode::InvalidBody, "given_at is not a valid time"))?,
        ),
        None => None,
    };
    let retry = state.retry_after_secs;
    let mut tx = state.store.begin_write().await.api(retry)?;
    let pseudonym = tx.pseudonym(subject.expose());
    let new = NewConsent {
        given_at,
        subject_ref: subject.expose(),
        subject_pseudonym: &pseudonym,
        channel: body.channel,
        text_version: &body.text_version,
        cross_border: body.cross_border,
        recorded_by: &principal.actor,
    };
    let consent = consents::insert(&mut tx, &new).await.api(retry)?;
    let event = principal.event(Action::RecordConsent, Some(purpose), Some(subject.expose()), Outcome::Success);
    audit::append(&mut tx, &event).await.api(retry)?;
    tx.commit().await.api(retry)?;
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
    let id = consent_id(&path)?;
    let retry = state.retry_after_secs;
    let mut tx = state.store.begin_write().await.api(retry)?;
    let consent = visible(&mut tx, &principal, id, retry).await?;
    let event = about(principal.event(Action::ReadConsent, Some(purpose), None, Outcome::Success), &consent);
    audit::append(&mut tx, &event).await.api(retry)?;
    tx.commit().await.api(retry)?;
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
    let id = consent_id(&path)?;
    let retry = state.retry_after_secs;
    let mut tx = state.store.begin_write().await.api(retry)?;
    let consent = visible(&mut tx, &principal, id, retry).await?;
    if !consents::withdraw(&mut tx, id).await.api(retry)? {
        return Err(ApiError::new(ErrorCode::ConsentWithdrawn, "this consent was already withdrawn"));
    }
    // Biometric processing ends with the subject's last active consent: another client's consent for the same
    // applicant (applicant references are the lender's, shared by its clients) keeps what was enrolled under it.
    let last = consents::active_for(&mut tx, &consent.subject_pseudonym).await.api(retry)? == 0;
    // The consent knows its subject only by pseudonym; the subject's data key is filed under it too.
    let subject = match last {
        true => biometrics::subject_by_pseudonym(&mut tx, &consent.subject_pseudonym).await.api(retry)?,
        false => None,
    };
    let mut destroyed = 0;
    if let Some(subject) = &subject {
        destroyed = biometrics::shred_subject(&mut tx, subject).await.api(retry)?;
        crate::store::cases::delete_subject_crops(&mut tx, subject).await.api(retry)?;
    }
    let actions: &[Action] =
        if last { &[Action::WithdrawConsent, Action::EraseBiometrics] } else { &[Action::WithdrawConsent] };
    for &action in actions {
        let event = about(principal.event(action, Some(purpose), None, Outcome::Success), &consent);
        audit::append(&mut tx, &event).await.api(retry)?;
    }
    tx.commit().await.api(retry)?;
    if let Some(subject) = &subject {
        state.gallery.remove_subject(subject);
    }
    // The destroyed data key must not survive in older log frames (SQLite; see Store::checkpoint_wal).
    state.store.checkpoint_wal().await;
    let templates_destroyed = principal.client().is_none().then_some(destroyed);
    Ok(HttpResponse::Ok().json(Withdrawn { consent_id: id, withdrawn: true, templates_destroyed }))
}

/// `event` about the consent's subject, by its pseudonym.
fn about<'a>(event: AuditEvent<'a>, consent: &'a consents::Consent) -> AuditEvent<'a> {
    AuditEvent { subject_ref: Some(Subject::Pseudonym(&consent.subject_pseudonym)), ..event }
}
