//! The dashboard page: the review core's aggregates as inline SVG charts drawn here (no script, no external asset,
//! the console's CSP unchanged). Every bar carries `data-day`, `data-series` and `data-count` (rates also
//! `data-total`), so tests and tools read numbers, not pixels.

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::pages::Nav;
use super::{frame, html, redirect, reviewer, PURPOSE};
use crate::error::ApiError;
use crate::http::{AppState, Principal};
use crate::i18n::Lang;
use crate::review::{Dashboard, DASHBOARD_DAYS};

/// Plot area, in SVG units: one slot per day.
const SLOT: i64 = 20;
const HEIGHT: i64 = 160;
const LEFT: i64 = 36;
const WIDTH: i64 = LEFT + SLOT * DASHBOARD_DAYS + 8;

/// One rectangle of a chart.
pub(super) struct Bar {
    pub day: String,
    pub series: &'static str,
    pub count: i64,
    /// The day's verifications (rates only; 0 in the decisions chart).
    pub total: i64,
    pub x: i64,
    pub y: i64,
    pub w: i64,
    pub h: i64,
    pub fill: &'static str,
    /// The tooltip: day, series label, count (and share).
    pub title: String,
}

/// A series in a chart's legend.
pub(super) struct Legend {
    pub series: &'static str,
    pub label: String,
    pub fill: &'static str,
    /// Its total over the window.
    pub count: i64,
}

/// An axis label under a chart.
pub(super) struct Tick {
    pub x: i64,
    pub text: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub(super) struct DashboardPage {
    pub t: Lang,
    pub nav: Nav,
    pub width: i64,
    pub height: i64,
    pub left: i64,
    pub ticks: Vec<Tick>,
    pub decisions: Vec<Bar>,
    pub decision_legend: Vec<Legend>,
    /// The tallest day's count, the decisions chart's top.
    pub decision_max: i64,
    pub rates: Vec<Bar>,
    pub rate_legend: Vec<Legend>,
    pub total: i64,
    pub open: i64,
    pub pending_signoff: i64,
    /// The oldest open case's age in words, empty when none is open; and in seconds (`data-age-secs`).
    pub oldest_open: String,
    pub oldest_open_secs: i64,
    pub cleared: i64,
    pub confirmed_fraud: i64,
    /// Cleared as a percentage of closed cases, empty when none was closed.
    pub overturn_rate: String,
}

const DECISIONS: [(&str, &str); 4] =
    [("match", "#2e8b57"), ("no_match", "#d98b19"), ("review", "#3a6ee8"), ("rejected", "#9aa1ad")];
const RATES: [(&str, &str); 3] = [("spoof", "#b3261e"), ("duplicate", "#8a3ffc"), ("review", "#3a6ee8")];

fn percent(part: i64, whole: i64) -> String {
    if whole == 0 {
        String::new()
    } else {
        format!("{:.1} %", part as f64 * 100.0 / whole as f64)
    }
}

fn age(t: Lang, secs: i64) -> String {
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    let unit = |n: i64, key: &str| format!("{n} {}", t.text(key));
    match (days, hours) {
        (0, 0) => unit(minutes, "dashboard-unit-minutes"),
        (0, _) => format!("{} {}", unit(hours, "dashboard-unit-hours"), unit(minutes, "dashboard-unit-minutes")),
        _ => format!("{} {}", unit(days, "dashboard-unit-days"), unit(hours, "dashboard-unit-hours")),
    }
}

impl DashboardPage {
    fn new(t: Lang, nav: Nav, d: &Dashboard) -> Self {
        let label = |prefix: &str, series: &str| t.text(&format!("{prefix}-{series}"));
        let decision_max = d.days.iter().map(|day| day.total()).max().unwrap_or(0).max(1);
        let (mut decisions, mut rates) = (Vec::new(), Vec::new());
        for (i, day) in d.days.iter().enumerate() {
            let v = &day.verifications;
            let x = LEFT + i as i64 * SLOT;
            let mut top = HEIGHT;
            for ((series, fill), count) in DECISIONS.into_iter().zip([v.matched, v.no_match, v.review, v.rejected]) {
                if count == 0 {
                    continue;
                }
                let h = (count * HEIGHT / decision_max).max(1);
                top -= h;
                let title = format!("{} · {}: {count}", v.day, label("dashboard-decision", series));
                decisions.push(Bar {
                    day: v.day.clone(),
                    series,
                    count,
                    total: 0,
                    x: x + 2,
                    y: top,
                    w: SLOT - 4,
                    h,
                    fill,
                    title,
                });
            }
            let total = day.total();
            if total == 0 {
                continue;
            }
            for (k, ((series, fill), count)) in RATES.into_iter().zip([v.spoof, v.duplicate, v.review]).enumerate() {
                let h = count * HEIGHT / total;
                let title = format!(
                    "{} · {}: {count} / {total} ({})",
                    v.day,
                    label("dashboard-rate", series),
                    percent(count, total)
                );
                rates.push(Bar {
                    day: v.day.clone(),
                    series,
                    count,
                    total,
                    x: x + 2 + k as i64 * 5,
                    y: HEIGHT - h,
                    w: 5,
                    h,
                    fill,
                    title,
                });
            }
        }
        let sum =
            |f: fn(&crate::store::stats::DayCounts) -> i64| d.days.iter().map(|day| f(&day.verifications)).sum::<i64>();
        let decision_totals = [sum(|v| v.matched), sum(|v| v.no_match), sum(|v| v.review), sum(|v| v.rejected)];
        let rate_totals = [sum(|v| v.spoof), sum(|v| v.duplicate), sum(|v| v.review)];
        let legend = |prefix: &str, series: &[(&'static str, &'static str)], counts: &[i64]| {
            series
                .iter()
                .zip(counts)
                .map(|(&(series, fill), &count)| Legend { series, label: label(prefix, series), fill, count })
                .collect::<Vec<_>>()
        };
        let ticks = [0, DASHBOARD_DAYS as usize / 2, DASHBOARD_DAYS as usize - 1]
            .into_iter()
            .filter_map(|i| d.days.get(i).map(|day| (i, day)))
            .map(|(i, day)| Tick {
                x: LEFT + i as i64 * SLOT,
                text: day.verifications.day.get(5..).unwrap_or("").to_owned(),
            })
            .collect();
        let (cleared, confirmed_fraud) = d.closed();
        Self {
            t,
            nav,
            width: WIDTH,
            height: HEIGHT,
            left: LEFT,
            ticks,
            decisions,
            decision_legend: legend("dashboard-decision", &DECISIONS, &decision_totals),
            decision_max,
            rates,
            rate_legend: legend("dashboard-rate", &RATES, &rate_totals),
            total: decision_totals.iter().sum(),
            open: d.open,
            pending_signoff: d.pending_signoff,
            oldest_open: d.oldest_open_secs.map(|s| age(t, s)).unwrap_or_default(),
            oldest_open_secs: d.oldest_open_secs.unwrap_or(0),
            cleared,
            confirmed_fraud,
            overturn_rate: percent(cleared, cleared + confirmed_fraud),
        }
    }
}

pub(super) async fn page(
    req: HttpRequest,
    principal: Option<Principal>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(principal) = reviewer(principal) else { return Ok(redirect("/console/login")) };
    let dashboard = state.review.dashboard(&principal, PURPOSE).await?;
    let (t, nav) = frame(&state, &principal, &req).await;
    html(DashboardPage::new(t, nav, &dashboard))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_rates_read_as_words() {
        assert_eq!(age(Lang::En, 59), "0 min");
        assert_eq!(age(Lang::En, 2 * 3_600 + 5 * 60), "2 h 5 min");
        assert_eq!(age(Lang::En, 3 * 86_400 + 4 * 3_600 + 59), "3 d 4 h");
        assert_eq!(percent(1, 3), "33.3 %");
        assert_eq!(percent(0, 0), "");
    }
}
