//! What can stop an oversight read; the front-ends map it to their answers.

use crate::auth::Denied;
use crate::error::{ApiError, ErrorCode};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum OversightError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("the audit chain does not verify: no checkpoint signed")]
    ChainBroken,
    #[error("since must be an RFC 3339 time")]
    InvalidSince,
    #[error(transparent)]
    Store(#[from] StoreError),
}

crate::store::store_errors_from_sqlx!(OversightError);

impl From<OversightError> for ApiError {
    fn from(e: OversightError) -> Self {
        let message = e.to_string();
        match e {
            OversightError::Denied(denied) => denied.into(),
            OversightError::ChainBroken => ApiError::new(ErrorCode::AuditChainBroken, message),
            OversightError::InvalidSince => ApiError::new(ErrorCode::InvalidBody, message),
            OversightError::Store(store) => store.into(),
        }
    }
}
