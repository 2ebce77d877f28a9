//! Page models for the templates under templates/ (askama escapes every interpolation in .html files). Every page
//! carries its language `t`: templates read their texts as `t.text("key")` and set `<html lang>` from it.

use askama::Template;

use crate::domain::Reason;
use crate::i18n::{reason_code, Lang};
use crate::store::case_notes::CaseNote;
use crate::store::cases::{Case, CaseStatus, Sort};

/// A language in the nav's menu.
pub(super) struct LangChoice {
    pub code: &'static str,
    pub name: &'static str,
    pub selected: bool,
}

pub(super) struct Nav {
    pub actor: String,
    pub role: String,
    pub csrf: String,
    /// The account's chosen language (none selected: the browser's).
    pub languages: Vec<LangChoice>,
    /// A supervisor: the blocklist and allowlist page is linked.
    pub keeps_lists: bool,
}

impl Nav {
    pub(super) fn new(t: Lang, actor: &str, role: &str, csrf: String, chosen: Option<Lang>) -> Self {
        let languages = Lang::ALL
            .into_iter()
            .map(|l| LangChoice { code: l.code(), name: l.native_name(), selected: chosen == Some(l) })
            .collect();
        Self { actor: actor.to_owned(), role: t.role(role), csrf, languages, keeps_lists: false }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
pub(super) struct LoginPage {
    pub t: Lang,
    pub failed: bool,
    /// The sign-in was refused by a rate limit or a full password-hashing bound.
    pub busy: bool,
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "error.html")]
pub(super) struct ErrorPage {
    pub t: Lang,
    pub status: u16,
    pub code: &'static str,
    /// The code's message in the page's language.
    pub message: String,
    /// The server's own (English) message, when it says more than the code's.
    pub detail: String,
}

/// A reason code with its label.
pub(super) struct ReasonLabel {
    pub code: String,
    pub label: String,
}

fn reasons(t: Lang, case: &Case) -> Vec<ReasonLabel> {
    case.reasons.iter().map(|&r: &Reason| ReasonLabel { code: reason_code(r), label: t.reason(r) }).collect()
}

pub(super) struct QueueRow {
    pub case_id: String,
    pub short_id: String,
    pub status: String,
    pub reasons: Vec<ReasonLabel>,
    pub assigned_to: String,
    pub created_at: String,
    /// How long the case has waited, in words, and in seconds (`data-age-secs`).
    pub age: String,
    pub age_secs: i64,
}

/// Seconds from an RFC 3339 time to `now` (0 when unreadable or in the future).
fn seconds_since(at: &str, now: time::OffsetDateTime) -> i64 {
    time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .map(|t| (now - t).whole_seconds().max(0))
        .unwrap_or(0)
}

impl QueueRow {
    pub(super) fn new(t: Lang, c: &Case, now: time::OffsetDateTime) -> Self {
        let age_secs = seconds_since(&c.created_at, now);
        Self {
            case_id: c.case_id.to_string(),
            short_id: c.case_id.to_string()[..8].to_owned(),
            status: t.case_status(c.status),
            reasons: reasons(t, c),
            assigned_to: c.assigned_to.clone().unwrap_or_default(),
            created_at: c.created_at.clone(),
            age: super::dashboard::age(t, age_secs),
            age_secs,
        }
    }
}

#[derive(Template)]
#[template(path = "queue.html")]
pub(super) struct QueuePage {
    pub t: Lang,
    pub nav: Nav,
    pub rows: Vec<QueueRow>,
    /// The order shown: `oldest` or `newest` (the sort select's value).
    pub sort: &'static str,
}

impl QueuePage {
    pub(super) fn new(t: Lang, nav: Nav, cases: &[Case], sort: Sort) -> Self {
        let now = time::OffsetDateTime::now_utc();
        Self { t, nav, rows: cases.iter().map(|c| QueueRow::new(t, c, now)).collect(), sort: sort.as_str() }
    }
}

pub(super) struct Score {
    pub label: String,
    pub value: String,
    pub percent: u32,
}

#[derive(Template)]
#[template(path = "case.html")]
pub(super) struct CasePage {
    pub t: Lang,
    pub nav: Nav,
    pub case_id: String,
    pub short_id: String,
    /// The status's stable code (`data-status`) and its label.
    pub status_code: &'static str,
    pub status: String,
    pub outcome: String,
    pub reasons: Vec<ReasonLabel>,
    pub scores: Vec<Score>,
    pub duplicate: String,
    pub comment: String,
    pub open: bool,
    /// Analysts' notes, oldest first.
    pub notes: Vec<CaseNote>,
    /// Whether the reader may add notes, decide and ask for a new capture (the forms are shown).
    pub can_work: bool,
    /// The page follows a request for a new capture (a confirmation line is shown).
    pub recapture_requested: bool,
    /// A supervisor reads it: a closed case can be put on the blocklist (confirmed fraud) or its pair on the
    /// allowlist (a cleared duplicate).
    pub keeps_lists: bool,
    pub confirmed_fraud: bool,
    pub cleared_duplicate: bool,
}

impl CasePage {
    pub(super) fn new(t: Lang, nav: Nav, c: &Case, notes: Vec<CaseNote>, can_work: bool) -> Self {
        let score = |key: &str, v: Option<f64>| {
            v.map(|v| Score {
                label: t.text(key),
                value: format!("{v:.3}"),
                percent: (v.clamp(0.0, 1.0) * 100.0).round() as u32,
            })
        };
        Self {
            t,
            nav,
            case_id: c.case_id.to_string(),
            short_id: c.case_id.to_string()[..8].to_owned(),
            status_code: c.status.as_str(),
            status: t.case_status(c.status),
            outcome: c.outcome.as_deref().map(|o| t.text(&format!("outcome-{o}"))).unwrap_or_default(),
            reasons: reasons(t, c),
            scores: [
                score("case-score-similarity", c.similarity),
                score("case-score-liveness", c.live_score),
                score("case-score-duplicate", c.duplicate_score),
            ]
            .into_iter()
            .flatten()
            .collect(),
            duplicate: c.duplicate_verification_id.map(|v| v.to_string()).unwrap_or_default(),
            comment: c.comment.clone().unwrap_or_default(),
            open: c.status != CaseStatus::Closed,
            notes,
            can_work,
            recapture_requested: false,
            keeps_lists: false,
            confirmed_fraud: c.status == CaseStatus::Closed && c.outcome.as_deref() == Some("confirmed_fraud"),
            cleared_duplicate: c.status == CaseStatus::Closed
                && c.outcome.as_deref() == Some("cleared")
                && c.duplicate_verification_id.is_some(),
        }
    }
}
