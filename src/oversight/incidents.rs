//! Breach detection for the DPO (policy §11): the security events of a window, and what the notification to the
//! authority (within one business day of detection) needs.

use std::collections::BTreeMap;

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, Weekday};

use super::{Oversight, OversightError};
use crate::audit::{self, Action, Outcome, StoredEvent};
use crate::auth::Principal;
use crate::domain::Purpose;
use crate::policy::Permission;

/// The security events of a window and the notification deadline they set.
pub struct Incident {
    /// The start of the window (RFC 3339).
    pub since: String,
    /// Oldest first, at most 1000.
    pub events: Vec<StoredEvent>,
    pub events_by_kind: BTreeMap<String, usize>,
    /// The first event of the window.
    pub detected_at: Option<String>,
    /// One business day after detection.
    pub notify_authority_by: Option<String>,
}

/// The next business day (Monday to Friday) after `t`, same time of day.
pub fn one_business_day_after(t: OffsetDateTime) -> OffsetDateTime {
    let mut next = t + Duration::days(1);
    while matches!(next.weekday(), Weekday::Saturday | Weekday::Sunday) {
        next += Duration::days(1);
    }
    next
}

impl Oversight {
    /// The security events since `since` (RFC 3339; default 30 days ago), the read audited.
    pub async fn security_events(
        &self,
        principal: &Principal,
        purpose: Purpose,
        since: Option<&str>,
    ) -> Result<Incident, OversightError> {
        principal.require(Permission::ReadSecurityEvents)?;
        let since = match since {
            Some(s) => OffsetDateTime::parse(s, &Rfc3339)
                .ok()
                .and_then(|t| crate::store::timestamp(t).ok())
                .ok_or(OversightError::InvalidSince)?,
            None => crate::store::timestamp(OffsetDateTime::now_utc() - Duration::days(30))?,
        };
        let mut tx = self.store.begin_write().await?;
        let events = audit::events_since(&mut tx, &since, 1000).await?;
        let event = principal.event(Action::ReadSecurityEvents, Some(purpose), None, Outcome::Success);
        let audited = audit::append(&mut tx, &event).await?;
        tx.commit(audited).await?;
        let mut events_by_kind = BTreeMap::<String, usize>::new();
        for e in &events {
            *events_by_kind.entry(e.kind.clone()).or_default() += 1;
        }
        let first = events.first().and_then(|e| OffsetDateTime::parse(&e.at, &Rfc3339).ok());
        let notify_authority_by = first.map(one_business_day_after).and_then(|d| d.format(&Rfc3339).ok());
        let detected_at = events.first().map(|e| e.at.clone());
        Ok(Incident { since, events, events_by_kind, detected_at, notify_authority_by })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notification_deadline_skips_weekends() {
        let friday = time::macros::datetime!(2026-11-27 10:00 UTC);
        assert_eq!(one_business_day_after(friday).weekday(), Weekday::Monday);
        let tuesday = time::macros::datetime!(2026-11-24 10:00 UTC);
        assert_eq!(one_business_day_after(tuesday).weekday(), Weekday::Wednesday);
    }
}
