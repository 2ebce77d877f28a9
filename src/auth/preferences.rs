//! A staff member's own settings: the console language (their choice wins over the browser's).

use super::{Principal, SessionError, Sessions};
use crate::audit::{self, Action, AuditEvent, Outcome, Subject};
use crate::store::staff_language;

impl Sessions {
    /// Sets (`Some("ru")`) or clears (`None`) the signed-in staff member's language, audited as `set_language` in
    /// the same transaction. `false` when no enabled staff account has the principal's name.
    pub async fn set_language(&self, principal: &Principal, language: Option<&str>) -> Result<bool, SessionError> {
        let mut tx = self.store.begin_write().await?;
        if !staff_language::set(&mut tx, &principal.actor, language).await? {
            return Ok(false);
        }
        let target = format!("staff:{}", principal.actor);
        let event = AuditEvent {
            subject_ref: Some(Subject::Account(&target)),
            ..principal.event(Action::SetLanguage, None, None, Outcome::Success)
        };
        let audited = audit::append(&mut tx, &event).await?;
        tx.commit(audited).await?;
        Ok(true)
    }
}
