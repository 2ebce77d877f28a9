//! What can stop a liveness-session call; the front-ends map it to their answers.

use crate::auth::Denied;
use crate::error::{ApiError, ErrorCode};
use crate::pipeline::pool::PoolError;
use crate::pipeline::InferenceError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum LivenessError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("{0}")]
    ConsentRequired(&'static str),
    /// No capture token, or not this session's.
    #[error("a valid capture token for this session is required (Authorization: Capture TOKEN)")]
    BadToken,
    /// The session expired, passed, failed or was used: no more attempts.
    #[error("the liveness session is closed: expired, finished or out of attempts")]
    Closed,
    /// The frames sent cannot make an attempt (count, size, times): nothing was analysed, no attempt used.
    #[error("{0}")]
    BadFrames(String),
    /// A verification named a session it may not use: unknown to this client, another applicant's, not passed,
    /// already used or past its use window.
    #[error("the liveness session is not a passed, unused session of this applicant, consent and purpose")]
    NotUsable,
    /// `liveness.require_session` is set and the verification carried a still selfie.
    #[error("a liveness session is required: send liveness_session_id instead of a selfie")]
    SessionRequired,
    #[error("the random number generator is unavailable")]
    NoRandomness,
    #[error("analysis capacity is full")]
    Overloaded,
    #[error("inference failed")]
    Inference(#[source] InferenceError),
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

crate::store::store_errors_from_sqlx!(LivenessError);

impl From<LivenessError> for ApiError {
    fn from(e: LivenessError) -> Self {
        let message = e.to_string();
        match e {
            LivenessError::Denied(denied) => denied.into(),
            LivenessError::ConsentRequired(m) => ApiError::new(ErrorCode::ConsentRequired, m),
            LivenessError::BadToken => ApiError::new(ErrorCode::Unauthenticated, message),
            LivenessError::Closed => ApiError::new(ErrorCode::LivenessSessionClosed, message),
            LivenessError::BadFrames(m) => ApiError::new(ErrorCode::InvalidFrames, m),
            LivenessError::NotUsable => ApiError::new(ErrorCode::LivenessSessionNotUsable, message),
            LivenessError::SessionRequired => ApiError::new(ErrorCode::LivenessSessionRequired, message),
            LivenessError::Overloaded => ApiError::overloaded(),
            LivenessError::NoRandomness => ApiError::internal(&e),
            LivenessError::Inference(cause) => ApiError::internal(&cause),
            LivenessError::Pool(cause) => ApiError::internal(&cause),
            LivenessError::Store(store) => store.into(),
        }
    }
}
