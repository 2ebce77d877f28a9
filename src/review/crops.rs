//! A case's face crops, decrypted on demand for whoever holds view_crop; every view is audited and counted
//! towards the access-burst alarm.

use uuid::Uuid;
use zeroize::Zeroizing;

use super::{Review, ReviewError};
use crate::audit::{self, Action, Outcome, SecurityEvent, Severity};
use crate::auth::Principal;
use crate::domain::Purpose;
use crate::policy::Permission;
use crate::store::{biometrics, cases, Unaudited};
use crate::vault::{open_crop, DataKey};

impl Review {
    /// The PNG of crop `kind` (`selfie` or `document`) of case `id`. An integrity failure raises a security event.
    pub async fn crop(
        &self,
        principal: &Principal,
        id: Uuid,
        kind: &str,
        purpose: Purpose,
    ) -> Result<Zeroizing<Vec<u8>>, ReviewError> {
        principal.require(Permission::ViewCrop)?;
        if kind != "selfie" && kind != "document" {
            return Err(ReviewError::NoSuchCrop);
        }
        let mut tx = self.store.begin_write().await?;
        let case = cases::get(&mut tx, id).await?;
        let sealed = cases::crop(&mut tx, id, kind).await?;
        let wrapped = biometrics::wrapped_key(&mut tx, &case.subject_ref).await?.ok_or(ReviewError::Erased)?;
        let png = DataKey::unwrap(&wrapped, &self.kek, &case.subject_ref)
            .and_then(|key| open_crop(&key, &sealed, id, kind, &case.subject_ref));
        let Ok(png) = png else {
            let detail = format!("crop {kind} of case {id} failed its integrity check");
            audit::raise(&mut tx, SecurityEvent::AeadFailure, Severity::Critical, &detail).await?;
            tx.commit_unaudited(Unaudited::SecurityEventOnly).await?;
            return Err(ReviewError::Integrity);
        };
        let event = principal.event(Action::ViewCrop, Some(purpose), Some(&case.subject_ref), Outcome::Success);
        let audited = audit::append(&mut tx, &event).await?;
        audit::check_access_burst(&mut tx, &principal.actor, self.burst_threshold, self.burst_window_secs).await?;
        tx.commit(audited).await?;
        Ok(png)
    }
}
