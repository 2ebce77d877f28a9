//! A case's face crops, decrypted on demand for whoever holds view_crop; every view is audited and counted
//! towards the access-burst alarm.

use uuid::Uuid;
use zeroize::Zeroizing;

use super::{Review, ReviewError};
use crate::audit::{self, Action, Outcome, SecurityEvent, Severity};
use crate::auth::Principal;
use crate::domain::Purpose;
use crate::policy::Permission;
use crate::store::cases::{self, Case};
use crate::store::{biometrics, StoreError, Unaudited, WriteTx};
use crate::vault::{open_crop, DataKey, Kek};

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
        let (mut tx, png) = open_sealed(tx, &self.kek, &case, kind).await?;
        let png = png.ok_or(StoreError::NotFound)?;
        let event = principal.event(Action::ViewCrop, Some(purpose), Some(&case.subject_ref), Outcome::Success);
        let audited = audit::append(&mut tx, &event).await?;
        audit::check_access_burst(&mut tx, &principal.actor, self.burst_threshold, self.burst_window_secs).await?;
        tx.commit(audited).await?;
        Ok(png)
    }
}

/// Opens crop `kind` of `case` inside `tx` and hands `tx` back with the PNG (`None`: the case has no such crop).
/// An integrity failure raises a security event, committed with `tx`, and answers `Integrity`. The caller audits
/// the view.
pub(crate) async fn open_sealed(
    mut tx: WriteTx,
    kek: &Kek,
    case: &Case,
    kind: &str,
) -> Result<(WriteTx, Option<Zeroizing<Vec<u8>>>), ReviewError> {
    let sealed = match cases::crop(&mut tx, case.case_id, kind).await {
        Ok(sealed) => sealed,
        Err(StoreError::NotFound) => return Ok((tx, None)),
        Err(e) => return Err(e.into()),
    };
    let wrapped = biometrics::wrapped_key(&mut tx, &case.subject_ref).await?.ok_or(ReviewError::Erased)?;
    let png = DataKey::unwrap(&wrapped, kek, &case.subject_ref)
        .and_then(|key| open_crop(&key, &sealed, case.case_id, kind, &case.subject_ref));
    let Ok(png) = png else {
        let detail = format!("crop {kind} of case {} failed its integrity check", case.case_id);
        audit::raise(&mut tx, SecurityEvent::AeadFailure, Severity::Critical, &detail).await?;
        tx.commit_unaudited(Unaudited::SecurityEventOnly).await?;
        return Err(ReviewError::Integrity);
    };
    Ok((tx, Some(png)))
}
