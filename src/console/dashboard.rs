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
    /// The day's verifications (rates only; 0 elsewhere).
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

/// One chart: its `id` (also each bar's `data-chart`), title, the label at its top, bars and legend.
pub(super) struct Chart {
    pub id: &'static str,
    pub title: String,
    pub top: String,
    pub bars: Vec<Bar>,
    pub legend: Vec<Legend>,
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
    pub charts: Vec<Chart>,
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

/// A chart's series: stable name (`data-series`, catalogue key suffix) and colour.
type Series = (&'static str, &'static str);

const DECISIONS: [Series; 4] =
    [("match", "#2e8b57"), ("no_match", "#d98b19"), ("review", "#3a6ee8"), ("rejected", "#9aa1ad")];
const RATES: [Series; 3] = [("spoof", "#b3261e"), ("duplicate", "#8a3ffc"), ("review", "#3a6ee8")];
const CLOSED: [Series; 2] = [("cleared", "#2e8b57"), ("confirmed_fraud", "#b3261e")];

fn percent(part: i64, whole: i64) -> String {
    if whole == 0 {
        String::new()
    } else {
        format!("{:.1} %", part as f64 * 100.0 / whole as f64)
    }
}

/// An age in words: minutes, hours and minutes, or days and hours (the queue shows cases' ages this way too).
pub(super) fn age(t: Lang, secs: i64) -> String {
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    let unit = |n: i64, key: &str| format!("{n} {}", t.text(key));
    match (days, hours) {
        (0, 0) => unit(minutes, "dashboard-unit-minutes"),
        (0, _) => format!("{} {}", unit(hours, "dashboard-unit-hours"), unit(minutes, "dashboard-unit-minutes")),
        _ => format!("{} {}", unit(days, "dashboard-unit-days"), unit(hours, "dashboard-unit-hours")),
    }
}

fn slot_x(i: usize) -> i64 {
    LEFT + i as i64 * SLOT
}

/// The legend of `series` under `prefix` (`prefix-series` catalogue keys) with each one's window total.
fn legend<const N: usize>(t: Lang, prefix: &str, series: [Series; N], per_day: &[(String, [i64; N])]) -> Vec<Legend> {
    (0..N)
        .map(|k| Legend {
            series: series[k].0,
            label: t.text(&format!("{prefix}-{}", series[k].0)),
            fill: series[k].1,
            count: per_day.iter().map(|(_, counts)| counts[k]).sum(),
        })
        .collect()
}

/// Stacked bars of counts per day, scaled to the tallest day; zero counts draw nothing.
fn stacked<const N: usize>(
    t: Lang,
    id: &'static str,
    prefix: &str,
    series: [Series; N],
    per_day: &[(String, [i64; N])],
) -> Chart {
    let max = per_day.iter().map(|(_, counts)| counts.iter().sum::<i64>()).max().unwrap_or(0).max(1);
    let mut bars = Vec::new();
    for (i, (day, counts)) in per_day.iter().enumerate() {
        let mut top = HEIGHT;
        for (&(name, fill), &count) in series.iter().zip(counts).filter(|(_, &c)| c > 0) {
            let h = (count * HEIGHT / max).max(1);
            top -= h;
            let title = format!("{day} · {}: {count}", t.text(&format!("{prefix}-{name}")));
            let (x, w) = (slot_x(i) + 2, SLOT - 4);
            bars.push(Bar { day: day.clone(), series: name, count, total: 0, x, y: top, w, h, fill, title });
        }
    }
    let legend = legend(t, prefix, series, per_day);
    Chart { id, title: t.text(&format!("dashboard-{id}")), top: max.to_string(), bars, legend }
}

/// Side-by-side bars per day: each rate series as a share of the day's verifications.
fn rates(t: Lang, d: &Dashboard) -> Chart {
    let per_day: Vec<(String, [i64; 3])> = d
        .days
        .iter()
        .map(|day| {
            (
                day.verifications.day.clone(),
                [day.verifications.spoof, day.verifications.duplicate, day.verifications.review],
            )
        })
        .collect();
    let mut bars = Vec::new();
    for (i, (day, total)) in d.days.iter().map(|day| (&day.verifications.day, day.total())).enumerate() {
        if total == 0 {
            continue;
        }
        for (k, (&(name, fill), &count)) in RATES.iter().zip(&per_day[i].1).enumerate() {
            let h = count * HEIGHT / total;
            let label = t.text(&format!("dashboard-rate-{name}"));
            let title = format!("{day} · {label}: {count} / {total} ({})", percent(count, total));
            let x = slot_x(i) + 2 + k as i64 * 5;
            bars.push(Bar { day: day.clone(), series: name, count, total, x, y: HEIGHT - h, w: 5, h, fill, title });
        }
    }
    let legend = legend(t, "dashboard-rate", RATES, &per_day);
    Chart { id: "rates", title: t.text("dashboard-rates"), top: "100 %".into(), bars, legend }
}

impl DashboardPage {
    fn new(t: Lang, nav: Nav, d: &Dashboard) -> Self {
        let decisions: Vec<(String, [i64; 4])> = d
            .days
            .iter()
            .map(|day| {
                let v = &day.verifications;
                (v.day.clone(), [v.matched, v.no_match, v.review, v.rejected])
            })
            .collect();
        let closed: Vec<(String, [i64; 2])> = d
            .days
            .iter()
            .map(|day| (day.closed.day.clone(), [day.closed.cleared, day.closed.confirmed_fraud]))
            .collect();
        let ticks = [0, d.days.len() / 2, d.days.len().saturating_sub(1)]
            .into_iter()
            .filter_map(|i| {
                d.days
                    .get(i)
                    .map(|day| Tick { x: slot_x(i), text: day.verifications.day.get(5..).unwrap_or("").to_owned() })
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
            charts: vec![
                stacked(t, "decisions", "dashboard-decision", DECISIONS, &decisions),
                rates(t, d),
                stacked(t, "closed", "dashboard-closed", CLOSED, &closed),
            ],
            total: d.days.iter().map(|day| day.total()).sum(),
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
