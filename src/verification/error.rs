//! What can stop a verification, as the use case sees it; the front-ends map it to their answers.

use crate::auth::Denied;
use crate::error::{ApiError, ErrorCode};
use crate::pipeline::pool::PoolError;
use crate::pipeline::{DecodeError, InferenceError, Part, PipelineError};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum VerificationError {
    #[error(transparent)]
    Denied(#[from] Denied),
    /// The 1:N gallery is still being read: a search now would silently miss enrolled faces.
    #[error("the 1:N gallery is still loading")]
    GalleryLoading,
    /// Every admission slot is taken.
    #[error("verification capacity is full")]
    Overloaded,
    #[error("{0}")]
    ConsentRequired(&'static str),
    #[error("{0}")]
    IdempotencyConflict(&'static str),
    /// A photo that cannot be read (`part` names which; the message never holds its bytes).
    #[error("{part}: {source}", part = part.as_str())]
    Image { part: Part, source: DecodeError },
    #[error("inference failed")]
    Inference(#[source] InferenceError),
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error(transparent)]
    Liveness(#[from] crate::liveness::LivenessError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

crate::store::store_errors_from_sqlx!(VerificationError);

impl From<PipelineError> for VerificationError {
    fn from(e: PipelineError) -> Self {
        match e {
            PipelineError::Decode { part, source } => Self::Image { part, source },
            PipelineError::Inference(e) => Self::Inference(e),
        }
    }
}

impl From<VerificationError> for ApiError {
    fn from(e: VerificationError) -> Self {
        let message = e.to_string();
        match e {
            VerificationError::Denied(denied) => denied.into(),
            VerificationError::GalleryLoading => ApiError::unavailable(&e),
            VerificationError::Overloaded => ApiError::overloaded(),
            VerificationError::ConsentRequired(m) => ApiError::new(ErrorCode::ConsentRequired, m),
            VerificationError::IdempotencyConflict(m) => ApiError::new(ErrorCode::IdempotencyConflict, m),
            VerificationError::Image { source, .. } => {
                let code = match source {
                    DecodeError::Empty => ErrorCode::EmptyPart,
                    DecodeError::TooManyBytes => ErrorCode::PayloadTooLarge,
                    DecodeError::UnsupportedFormat => ErrorCode::UnsupportedImageFormat,
                    DecodeError::TooManyPixels => ErrorCode::ImageTooLarge,
                    DecodeError::Corrupt => ErrorCode::CorruptImage,
                };
                ApiError::new(code, message)
            }
            VerificationError::Inference(cause) => ApiError::internal(&cause),
            VerificationError::Pool(cause) => ApiError::internal(&cause),
            VerificationError::Liveness(e) => e.into(),
            VerificationError::Store(store) => store.into(),
        }
    }
}
