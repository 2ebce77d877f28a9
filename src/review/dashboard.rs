//! The dashboard's figures: verifications per UTC day over the last [`DASHBOARD_DAYS`] days (by decision, with the
//! spoof and duplicate counts), the queue now, and how analysts closed cases (cleared overturns the service's flag,
//! confirmed fraud upholds it). Aggregates only; the view is audited (`view_dashboard`) like every console read.

use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime};

use super::{Review, ReviewError};
use crate::audit::{self, Action, Outcome};
use crate::auth::Principal;
use crate::domain::Purpose;
use crate::policy::Permission;
use crate::store::stats::{self, ClosedCounts, DayCounts};

/// How many UTC days, today included, the dashboard covers.
pub const DASHBOARD_DAYS: i64 = 30;

/// One UTC day's figures: its verifications and the cases closed that day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayStats {
    pub verifications: DayCounts,
    pub closed: ClosedCounts,
}

impl DayStats {
    pub fn total(&self) -> i64 {
        let v = &self.verifications;
        v.matched + v.no_match + v.review + v.rejected
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    /// Every day of the window, oldest first, days without activity as zeros.
    pub days: Vec<DayStats>,
    pub open: i64,
    pub pending_signoff: i64,
    /// Seconds since the oldest open case was opened.
    pub oldest_open_secs: Option<i64>,
}

impl Dashboard {
    /// Cases closed in the window as (cleared, confirmed fraud).
    pub fn closed(&self) -> (i64, i64) {
        self.days.iter().fold((0, 0), |(c, f), d| (c + d.closed.cleared, f + d.closed.confirmed_fraud))
    }
}

fn day(d: Date) -> String {
    d.format(format_description!("[year]-[month]-[day]")).unwrap_or_default()
}

/// The window's days, oldest first, each filled from the rows for it.
fn fill(today: Date, verifications: Vec<DayCounts>, closed: Vec<ClosedCounts>) -> Vec<DayStats> {
    (0..DASHBOARD_DAYS)
        .rev()
        .map(|back| {
            let d = day(today - Duration::days(back));
            let verifications = verifications.iter().find(|r| r.day == d).cloned();
            let closed = closed.iter().find(|r| r.day == d).cloned();
            DayStats {
                verifications: verifications.unwrap_or_else(|| DayCounts { day: d.clone(), ..DayCounts::default() }),
                closed: closed.unwrap_or_else(|| ClosedCounts { day: d, ..ClosedCounts::default() }),
            }
        })
        .collect()
}

impl Review {
    /// The dashboard as of now; requires case reading, audited as `view_dashboard`.
    pub async fn dashboard(&self, principal: &Principal, purpose: Purpose) -> Result<Dashboard, ReviewError> {
        principal.require(Permission::ReadCase)?;
        let now = OffsetDateTime::now_utc();
        let today = now.date();
        let since = day(today - Duration::days(DASHBOARD_DAYS - 1));
        let mut tx = self.store.begin_write().await?;
        let verifications = stats::verifications_per_day(&mut tx, &since).await?;
        let closed = stats::closed_per_day(&mut tx, &since).await?;
        let queue = stats::queue(&mut tx).await?;
        let event = principal.event(Action::ViewDashboard, Some(purpose), None, Outcome::Success);
        let audited = audit::append(&mut tx, &event).await?;
        tx.commit(audited).await?;
        let oldest_open_secs = queue
            .oldest_open
            .and_then(|t| OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339).ok())
            .map(|t| (now - t).whole_seconds().max(0));
        Ok(Dashboard {
            days: fill(today, verifications, closed),
            open: queue.open,
            pending_signoff: queue.pending_signoff,
            oldest_open_secs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_has_every_day_oldest_first_with_gaps_as_zeros() {
        let today = time::macros::date!(2026 - 03 - 01);
        let row = DayCounts { day: "2026-02-27".into(), matched: 2, ..DayCounts::default() };
        let closed = ClosedCounts { day: "2026-03-01".into(), cleared: 1, confirmed_fraud: 3 };
        let days = fill(today, vec![row.clone()], vec![closed.clone()]);
        assert_eq!(days.len(), DASHBOARD_DAYS as usize);
        assert_eq!(days[0].verifications.day, "2026-01-31");
        assert_eq!(days[27].verifications, row);
        assert_eq!(days[27].total(), 2);
        assert_eq!(days[29].closed, closed);
        assert_eq!(days[28].verifications.day, "2026-02-28");
        assert_eq!(days[28].total(), 0);
        let dashboard = Dashboard { days, open: 0, pending_signoff: 0, oldest_open_secs: None };
        assert_eq!(dashboard.closed(), (1, 3));
    }
}
