//! What can stop an evidence export; the front-ends map it to their answers.

use crate::auth::Denied;
use crate::error::{ApiError, ErrorCode};
use crate::review::ReviewError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("no such resource")]
    NotFound,
    /// A sealed crop failed its integrity check (a security event was raised).
    #[error("a sealed crop failed its integrity check")]
    Integrity,
    /// The record could not be encoded or the ZIP written.
    #[error("the evidence package could not be written")]
    Package,
    #[error(transparent)]
    Store(#[from] StoreError),
}

crate::store::store_errors_from_sqlx!(EvidenceError);

impl From<ReviewError> for EvidenceError {
    fn from(e: ReviewError) -> Self {
        match e {
            ReviewError::Denied(denied) => Self::Denied(denied),
            ReviewError::Store(store) => Self::Store(store),
            ReviewError::Integrity => Self::Integrity,
            _ => Self::NotFound,
        }
    }
}

impl From<EvidenceError> for ApiError {
    fn from(e: EvidenceError) -> Self {
        match e {
            EvidenceError::Denied(denied) => denied.into(),
            EvidenceError::Store(StoreError::NotFound) | EvidenceError::NotFound => {
                ApiError::new(ErrorCode::NotFound, "no such resource")
            }
            EvidenceError::Store(store) => store.into(),
            EvidenceError::Integrity | EvidenceError::Package => ApiError::internal(&e),
        }
    }
}
