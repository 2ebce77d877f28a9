//! What can stop a review action; the front-ends (API, console) map it to their answers.

use crate::auth::Denied;
use crate::error::{ApiError, ErrorCode};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("no such case")]
    NoSuchCase,
    #[error("crops are `selfie` or `document`")]
    NoSuchCrop,
    #[error("the subject's biometric data was erased")]
    Erased,
    #[error("the case is closed")]
    CaseClosed,
    #[error("only a case closed as confirmed fraud can be blocklisted")]
    NotConfirmedFraud,
    #[error("only a duplicate case closed as cleared can be allowlisted")]
    NotClearedDuplicate,
    #[error("the case is already on that list")]
    AlreadyListed,
    #[error("no such blocklist entry")]
    NoSuchEntry,
    #[error("only supervisors assign cases to others")]
    AssignToOthers,
    #[error("a fraud confirmation needs a second person")]
    SecondPersonRequired,
    #[error("a comment of 1 to 2000 characters is required")]
    InvalidComment,
    #[error("a note of 1 to 2000 characters is required")]
    InvalidNote,
    /// A sealed crop failed its integrity check (a security event was raised).
    #[error("a sealed crop failed its integrity check")]
    Integrity,
    #[error(transparent)]
    Store(#[from] StoreError),
}

crate::store::store_errors_from_sqlx!(ReviewError);

impl From<ReviewError> for ApiError {
    fn from(e: ReviewError) -> Self {
        let message = e.to_string();
        let code = match e {
            ReviewError::Denied(denied) => return denied.into(),
            ReviewError::Store(store) => return store.into(),
            ReviewError::Integrity => return ApiError::internal(&e),
            ReviewError::NoSuchCase | ReviewError::NoSuchCrop | ReviewError::Erased | ReviewError::NoSuchEntry => {
                ErrorCode::NotFound
            }
            ReviewError::CaseClosed => ErrorCode::CaseClosed,
            ReviewError::NotConfirmedFraud => ErrorCode::CaseNotConfirmedFraud,
            ReviewError::NotClearedDuplicate => ErrorCode::CaseNotClearedDuplicate,
            ReviewError::AlreadyListed => ErrorCode::AlreadyListed,
            ReviewError::AssignToOthers | ReviewError::SecondPersonRequired => ErrorCode::Forbidden,
            ReviewError::InvalidComment | ReviewError::InvalidNote => ErrorCode::InvalidBody,
        };
        ApiError::new(code, message)
    }
}
