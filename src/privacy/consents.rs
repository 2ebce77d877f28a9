//! Consent records (policy §4): recorded by a client for an applicant, read by their owner or staff, withdrawn.
//! Withdrawal of the subject's last active consent destroys their templates and crops in the same transaction.

use uuid::Uuid;

use super::{Privacy, PrivacyError};
use crate::audit::{self, Action, AuditEvent, Outcome, Subject};
use crate::auth::Principal;
use crate::domain::{ApplicantRef, Purpose};
use crate::policy::Permission;
use crate::store::biometrics;
use crate::store::consents::{self, Consent, ConsentChannel, NewConsent};

/// A consent as a client records it.
pub struct ConsentInput {
    pub subject_ref: String,
    pub channel: ConsentChannel,
    pub text_version: String,
    pub cross_border: bool,
    /// When the applicant consented, if not now (not in the future).
    pub given_at: Option<time::OffsetDateTime>,
}

/// A withdrawn consent and how many templates went with it.
pub struct Withdrawal {
    pub consent_id: Uuid,
    /// For staff only: a client would learn from it whether another client enrolled the same applicant.
    pub templates_destroyed: Option<u64>,
}

impl Privacy {
    pub async fn record_consent(
        &self,
        principal: &Principal,
        purpose: Purpose,
        input: ConsentInput,
    ) -> Result<Consent, PrivacyError> {
        principal.require(Permission::RecordConsent)?;
        let subject = ApplicantRef::parse(&input.subject_ref)
            .map_err(|_| PrivacyError::Invalid("subject_ref must be 1 to 128 characters of A-Z a-z 0-9 . _ : -"))?;
        if input.text_version.is_empty() || input.text_version.len() > 64 {
            return Err(PrivacyError::Invalid("text_version must be 1 to 64 characters"));
        }
        let now = time::OffsetDateTime::now_utc();
        let given_at = match input.given_at {
            Some(t) if t > now + time::Duration::minutes(5) => {
                return Err(PrivacyError::Invalid("given_at is in the future"))
            }
            Some(t) => {
                Some(crate::store::timestamp(t).map_err(|_| PrivacyError::Invalid("given_at is not a valid time"))?)
            }
            None => None,
        };
        let mut tx = self.store.begin_append(Some(subject.expose())).await?;
        let pseudonym = tx.pseudonym(subject.expose());
        let new = NewConsent {
            given_at,
            subject_ref: subject.expose(),
            subject_pseudonym: &pseudonym,
            channel: input.channel,
            text_version: &input.text_version,
            cross_border: input.cross_border,
            recorded_by: &principal.actor,
        };
        let consent = consents::insert(&mut tx, &new).await?;
        let event = principal.event(Action::RecordConsent, Some(purpose), Some(subject.expose()), Outcome::Success);
        let audited = audit::append(&mut tx, &event).await?;
        tx.commit(audited).await?;
        Ok(consent)
    }

    pub async fn consent(&self, principal: &Principal, purpose: Purpose, id: Uuid) -> Result<Consent, PrivacyError> {
        principal.require(Permission::ReadConsent)?;
        let mut tx = self.store.begin_write().await?;
        let consent = visible(&mut tx, principal, id).await?;
        let event = about(principal.event(Action::ReadConsent, Some(purpose), None, Outcome::Success), &consent);
        let audited = audit::append(&mut tx, &event).await?;
        tx.commit(audited).await?;
        Ok(consent)
    }

    pub async fn withdraw_consent(
        &self,
        principal: &Principal,
        purpose: Purpose,
        id: Uuid,
    ) -> Result<Withdrawal, PrivacyError> {
        principal.require(Permission::WithdrawConsent)?;
        let mut tx = self.store.begin_write().await?;
        let consent = visible(&mut tx, principal, id).await?;
        if !consents::withdraw(&mut tx, id).await? {
            return Err(PrivacyError::AlreadyWithdrawn);
        }
        // Biometric processing ends with the subject's last active consent: another client's consent for the same
        // applicant (applicant references are the lender's, shared by its clients) keeps what was enrolled under it.
        let last = consents::active_for(&mut tx, &consent.subject_pseudonym).await? == 0;
        // The consent knows its subject only by pseudonym; the subject's data key is filed under it too.
        let subject = match last {
            true => biometrics::subject_by_pseudonym(&mut tx, &consent.subject_pseudonym).await?,
            false => None,
        };
        let mut destroyed = 0;
        if let Some(subject) = &subject {
            destroyed = biometrics::shred_subject(&mut tx, subject).await?;
            crate::store::cases::delete_subject_crops(&mut tx, subject).await?;
        }
        let event = |action| about(principal.event(action, Some(purpose), None, Outcome::Success), &consent);
        let mut audited = audit::append(&mut tx, &event(Action::WithdrawConsent)).await?;
        if last {
            audited = audit::append(&mut tx, &event(Action::EraseBiometrics)).await?;
        }
        tx.commit(audited).await?;
        if let Some(subject) = &subject {
            self.gallery.remove_subject(subject);
            self.blocklist.remove_subject(subject);
        }
        // The destroyed data key must not survive in older log frames (SQLite; see Store::checkpoint_wal).
        self.store.checkpoint_wal().await;
        Ok(Withdrawal { consent_id: id, templates_destroyed: principal.client().is_none().then_some(destroyed) })
    }
}

/// The consent, if this principal may see it: a client only its own (another client's is "not found", as if it
/// did not exist), staff every one.
async fn visible(conn: &mut sqlx::AnyConnection, principal: &Principal, id: Uuid) -> Result<Consent, PrivacyError> {
    let consent = match consents::get(conn, id).await {
        Err(crate::store::StoreError::NotFound) => return Err(PrivacyError::NoSuchConsent),
        other => other?,
    };
    if principal.owns(Some(&consent.recorded_by)) {
        Ok(consent)
    } else {
        Err(PrivacyError::NoSuchConsent)
    }
}

/// `event` about the consent's subject, by its pseudonym.
fn about<'a>(event: AuditEvent<'a>, consent: &'a Consent) -> AuditEvent<'a> {
    AuditEvent { subject_ref: Some(Subject::Pseudonym(&consent.subject_pseudonym)), ..event }
}
