//! Page models for the templates under templates/ (askama escapes every interpolation in .html files). Every page
//! carries its language `t`: templates read their texts as `t.text("key")` and set `<html lang>` from it.

use askama::Template;

use crate::domain::Reason;
use crate::i18n::{reason_code, Lang};
use crate::review::Priority;
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
    /// The priority's stable code (`data-priority`) and its label.
    pub priority_code: &'static str,
    pub priority: String,
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
        let priority = Priority::of(&c.reasons);
        Self {
            case_id: c.case_id.to_string(),
            short_id: c.case_id.to_string()[..8].to_owned(),
            priority_code: priority.as_str(),
            priority: t.text(&format!("priority-{}", priority.as_str())),
            status: t.case_status(c.status),
            reasons: reasons(t, c),
            assigned_to: c.assigned_to.clone().unwrap_or_default(),
            created_at: c.created_at.clone(),
            age: super::dashboard::age(t, age_secs),
            age_secs,
        }
    }
}

/// The queue's order and filters, from the query string (unknown values are ignored).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct QueueView {
    /// `oldest`, `newest` or `priority`.
    pub order: &'static str,
    pub status: Option<CaseStatus>,
    pub reason: Option<Reason>,
}

impl QueueView {
    pub(super) fn parse(order: Option<&str>, status: Option<&str>, reason: Option<&str>) -> Self {
        let order = match order {
            Some("priority") => "priority",
            Some(o) => Sort::parse(o).unwrap_or_default().as_str(),
            None => Sort::default().as_str(),
        };
        let status = status.and_then(CaseStatus::parse).filter(|s| *s != CaseStatus::Closed);
        let reason = reason.and_then(|r| serde_json::from_value::<Reason>(serde_json::Value::String(r.into())).ok());
        Self { order, status, reason }
    }

    /// The order the store reads in: priority sorts the oldest first within each priority.
    pub(super) fn base_sort(&self) -> Sort {
        Sort::parse(self.order).unwrap_or_default()
    }
}

/// An option of the reason filter: the code, its label, whether chosen.
pub(super) struct ReasonOption {
    pub code: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "queue.html")]
pub(super) struct QueuePage {
    pub t: Lang,
    pub nav: Nav,
    pub rows: Vec<QueueRow>,
    /// The order shown: `oldest`, `newest` or `priority` (the sort select's value).
    pub sort: &'static str,
    /// The status filter's value (`open`, `pending_signoff`) or empty for all.
    pub status: &'static str,
    /// The reasons of the cases waiting (filtered or not), for the reason filter.
    pub reason_options: Vec<ReasonOption>,
    /// Cases waiting before the filters.
    pub waiting: usize,
}

impl QueuePage {
    pub(super) fn new(t: Lang, nav: Nav, cases: &[Case], view: QueueView) -> Self {
        let now = time::OffsetDateTime::now_utc();
        let mut present: Vec<Reason> = cases.iter().flat_map(|c| c.reasons.iter().copied()).collect();
        present.sort_by_key(|r| reason_code(*r));
        present.dedup();
        let reason_options = present
            .into_iter()
            .map(|r| ReasonOption { code: reason_code(r), label: t.reason(r), selected: view.reason == Some(r) })
            .collect();
        let mut shown: Vec<&Case> = cases
            .iter()
            .filter(|c| view.status.is_none_or(|s| c.status == s))
            .filter(|c| view.reason.is_none_or(|r| c.reasons.contains(&r)))
            .collect();
        if view.order == "priority" {
            // Stable: within a priority the store's order (oldest first) stays.
            shown.sort_by_key(|c| std::cmp::Reverse(Priority::of(&c.reasons)));
        }
        Self {
            t,
            nav,
            rows: shown.into_iter().map(|c| QueueRow::new(t, c, now)).collect(),
            sort: view.order,
            status: view.status.map_or("", |s| s.as_str()),
            reason_options,
            waiting: cases.len(),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_view_ignores_what_it_does_not_know() {
        let view = QueueView::parse(Some("priority"), Some("pending_signoff"), Some("duplicate_identity"));
        assert_eq!(view.order, "priority");
        assert_eq!(view.base_sort(), Sort::Oldest, "priority orders the oldest first within a priority");
        assert_eq!(view.status, Some(CaseStatus::PendingSignoff));
        assert_eq!(view.reason, Some(Reason::DuplicateIdentity));
        let odd = QueueView::parse(Some("random"), Some("closed"), Some("<script>"));
        assert_eq!((odd.order, odd.status, odd.reason), ("oldest", None, None), "closed cases are not in the queue");
        assert_eq!(QueueView::parse(Some("newest"), None, None).base_sort(), Sort::Newest);
    }
}
