//! The capture page's model (templates/capture.html). The script's texts travel in the page as a hidden list
//! (`<li data-key>`), escaped by askama like every other interpolation: no inline script, which the CSP forbids.

use askama::Template;
use uuid::Uuid;

use crate::i18n::Lang;

/// The texts app.js shows, as keys under `capture-` in locales/*/capture.ftl.
pub(super) const SCRIPT_TEXTS: [&str; 24] = [
    "loading",
    "camera-request",
    "ready",
    "look-straight",
    "action-turn_left",
    "action-turn_right",
    "action-look_up",
    "action-look_down",
    "centre",
    "uploading",
    "live",
    "retry",
    "failed",
    "attempts-left",
    "error-camera-denied",
    "error-no-camera",
    "error-camera",
    "error-unsupported",
    "error-link",
    "error-not-found",
    "error-expired",
    "error-network",
    "error-server",
    "start",
];

pub(super) struct ScriptText {
    pub key: &'static str,
    pub text: String,
}

#[derive(Template)]
#[template(path = "capture.html")]
pub(super) struct CapturePage {
    pub t: Lang,
    /// The hyphenated session id (what the script calls the API with).
    pub session_id: String,
    pub texts: Vec<ScriptText>,
}

impl CapturePage {
    pub(super) fn new(t: Lang, id: Uuid) -> Self {
        let texts =
            SCRIPT_TEXTS.iter().map(|&key| ScriptText { key, text: t.text(&format!("capture-{key}")) }).collect();
        Self { t, session_id: id.hyphenated().to_string(), texts }
    }
}
