//! Which language a console page speaks, and the nav's form that sets a staff member's own: their choice when
//! they made one, else the browser's Accept-Language (the only source before sign-in and on error pages).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{check_csrf, redirect, reviewer};
use crate::audit::{self, Action, AuditEvent, Outcome, Subject};
use crate::error::{ApiError, ErrorCode};
use crate::http::{AppState, Principal};
use crate::i18n::{self, Lang};
use crate::store::{staff_language, StoreError};

/// The language the request's Accept-Language asks for (English when none of ours).
pub(super) fn browser(req: &HttpRequest) -> Lang {
    i18n::from_accept_language(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// The account's own language, if it chose one. A failed read is logged and falls back to the browser's: a page
/// in another language is better than no page.
pub(super) async fn chosen(state: &AppState, principal: &Principal) -> Option<Lang> {
    match state.store.staff_language(&principal.actor).await {
        Ok(code) => code.as_deref().and_then(Lang::parse),
        Err(e) => {
            tracing::warn!(error = %e, "staff language not read");
            None
        }
    }
}

#[derive(Deserialize)]
pub(super) struct LanguageForm {
    #[serde(default)]
    csrf: String,
    /// `en`, `ru`, `kk`, or empty for the browser's.
    language: String,
}

/// Sets (or clears) the signed-in staff member's language, audited as `set_language` in the same transaction.
pub(super) async fn set(
    principal: Option<Principal>,
    form: web::Form<LanguageForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(principal) = reviewer(principal) else { return Ok(redirect("/console/login")) };
    check_csrf(&state, &principal, &form.csrf)?;
    let language = match form.language.as_str() {
        "" => None,
        code => Some(Lang::parse(code).ok_or(ApiError::new(ErrorCode::InvalidBody, "unknown language"))?),
    };
    let mut tx = state.store.begin_write().await?;
    if !staff_language::set(&mut tx, &principal.actor, language.map(Lang::code)).await? {
        return Err(ApiError::new(ErrorCode::NotFound, "no enabled staff account has this name"));
    }
    let target = format!("staff:{}", principal.actor);
    let event = AuditEvent {
        subject_ref: Some(Subject::Account(&target)),
        ..principal.event(Action::SetLanguage, None, None, Outcome::Success)
    };
    let audited = audit::append(&mut tx, &event).await?;
    tx.commit(audited).await.map_err(StoreError::from)?;
    Ok(redirect("/console"))
}
