//! The consent a verification rests on (policy §4, §7).

use uuid::Uuid;

use super::VerificationError;
use crate::domain::VerificationMeta;
use crate::store::{consents, StoreError};

/// The consent reference must name an active consent of the same subject, recorded by the same client, one that
/// allows cross-border transfer when the data is stored outside Kazakhstan. Consents hold the subject's pseudonym,
/// so `pseudonym` is the applicant's.
pub(crate) async fn require(
    conn: &mut sqlx::AnyConnection,
    client: &str,
    meta: &VerificationMeta,
    pseudonym: &str,
    cross_border: bool,
) -> Result<(), VerificationError> {
    let refused = VerificationError::ConsentRequired("no active consent of this subject under consent_ref");
    let Ok(id) = Uuid::parse_str(meta.consent_ref.expose()) else { return Err(refused) };
    let consent = match consents::get(conn, id).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Err(refused),
        Err(e) => return Err(e.into()),
    };
    let owned = consent.recorded_by == client;
    if !owned || consent.subject_pseudonym != pseudonym || consent.withdrawn_at.is_some() {
        return Err(refused);
    }
    if cross_border && !consent.cross_border {
        return Err(VerificationError::ConsentRequired(
            "storage is outside Kazakhstan: the consent must allow cross-border transfer",
        ));
    }
    Ok(())
}
