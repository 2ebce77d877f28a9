//! Page models for the templates under templates/ (askama escapes every interpolation in .html files).

use askama::Template;

use crate::store::cases::{Case, CaseStatus};

pub(super) struct Nav {
    pub actor: String,
    pub role: &'static str,
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "login.html")]
pub(super) struct LoginPage {
    pub failed: bool,
    /// The sign-in was refused by a rate limit or a full password-hashing bound.
    pub busy: bool,
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "error.html")]
pub(super) struct ErrorPage {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

pub(super) struct QueueRow {
    pub case_id: String,
    pub short_id: String,
    pub status: &'static str,
    pub reasons: Vec<String>,
    pub assigned_to: String,
    pub created_at: String,
}

fn reason_codes(case: &Case) -> Vec<String> {
    case.reasons
        .iter()
        .filter_map(|r| serde_json::to_value(r).ok())
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

impl From<&Case> for QueueRow {
    fn from(c: &Case) -> Self {
        Self {
            case_id: c.case_id.to_string(),
            short_id: c.case_id.to_string()[..8].to_owned(),
            status: c.status.as_str(),
            reasons: reason_codes(c),
            assigned_to: c.assigned_to.clone().unwrap_or_default(),
            created_at: c.created_at.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "queue.html")]
pub(super) struct QueuePage {
    pub nav: Nav,
    pub rows: Vec<QueueRow>,
}

pub(super) struct Score {
    pub label: &'static str,
    pub value: String,
    pub percent: u32,
}

#[derive(Template)]
#[template(path = "case.html")]
pub(super) struct CasePage {
    pub nav: Nav,
    pub case_id: String,
    pub short_id: String,
    pub status: &'static str,
    pub outcome: String,
    pub reasons: Vec<String>,
    pub scores: Vec<Score>,
    pub duplicate: String,
    pub comment: String,
    pub open: bool,
}

impl CasePage {
    pub(super) fn new(nav: Nav, c: &Case) -> Self {
        let score = |label, v: Option<f64>| {
            v.map(|v| Score { label, value: format!("{v:.3}"), percent: (v.clamp(0.0, 1.0) * 100.0).round() as u32 })
        };
        Self {
            nav,
            case_id: c.case_id.to_string(),
            short_id: c.case_id.to_string()[..8].to_owned(),
            status: c.status.as_str(),
            outcome: c.outcome.clone().unwrap_or_default(),
            reasons: reason_codes(c),
            scores: [
                score("Selfie vs document (cosine)", c.similarity),
                score("Liveness, P(real)", c.live_score),
                score("Duplicate face (cosine)", c.duplicate_score),
            ]
            .into_iter()
            .flatten()
            .collect(),
            duplicate: c.duplicate_verification_id.map(|v| v.to_string()).unwrap_or_default(),
            comment: c.comment.clone().unwrap_or_default(),
            open: c.status != CaseStatus::Closed,
        }
    }
}
