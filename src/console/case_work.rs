//! The case page's note form and "Ask for a new capture" button (crate::review::notes behind them).

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{check_csrf, redirect, reviewer, CsrfForm, PURPOSE};
use crate::error::ApiError;
use crate::http::{AppState, Principal};
use crate::review::case_id;

#[derive(Deserialize)]
pub(super) struct NoteForm {
    #[serde(default)]
    csrf: String,
    text: String,
}

pub(super) async fn note(
    principal: Option<Principal>,
    path: web::Path<String>,
    form: web::Form<NoteForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(principal) = reviewer(principal) else { return Ok(redirect("/console/login")) };
    check_csrf(&state, &principal, &form.csrf)?;
    let id = case_id(&path)?;
    state.review.add_note(&principal, id, &form.text, PURPOSE).await?;
    Ok(redirect(&format!("/console/cases/{id}#notes")))
}

pub(super) async fn recapture(
    principal: Option<Principal>,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(principal) = reviewer(principal) else { return Ok(redirect("/console/login")) };
    check_csrf(&state, &principal, &form.csrf)?;
    let id = case_id(&path)?;
    state.review.request_recapture(&principal, id, PURPOSE).await?;
    Ok(redirect(&format!("/console/cases/{id}?recapture=requested")))
}
