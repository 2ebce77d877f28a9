//! What can stop a consent or erasure action; the front-ends map it to their answers.

use crate::auth::Denied;
use crate::error::{ApiError, ErrorCode};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error(transparent)]
    Denied(#[from] Denied),
    /// A request field that does not hold; the message names it (never its value).
    #[error("{0}")]
    Invalid(&'static str),
    /// No such consent for this principal (another client's is not found either).
    #[error("no such resource")]
    NoSuchConsent,
    #[error("this consent was already withdrawn")]
    AlreadyWithdrawn,
    #[error("no such subject")]
    NoSuchSubject,
    #[error(transparent)]
    Store(#[from] StoreError),
}

crate::store::store_errors_from_sqlx!(PrivacyError);

impl From<PrivacyError> for ApiError {
    fn from(e: PrivacyError) -> Self {
        let message = e.to_string();
        let code = match e {
            PrivacyError::Denied(denied) => return denied.into(),
            PrivacyError::Store(store) => return store.into(),
            PrivacyError::Invalid(_) => ErrorCode::InvalidBody,
            PrivacyError::NoSuchConsent | PrivacyError::NoSuchSubject => ErrorCode::NotFound,
            PrivacyError::AlreadyWithdrawn => ErrorCode::ConsentWithdrawn,
        };
        ApiError::new(code, message)
    }
}
