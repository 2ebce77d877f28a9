//! The one HTTP error type. Every error a client can see has a stable snake_case code from one table;
//! bodies are `{code, message}`; 5xx messages are opaque and the cause goes to the log only.

use std::borrow::Cow;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::store::StoreError;

macro_rules! error_codes {
    ($($variant:ident => ($status:ident, $code:literal),)+) => {
        /// Stable machine-readable error codes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode { $($variant,)+ }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)+ }
            }

            pub fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::$status,)+ }
            }
        }
    };
}

error_codes! {
    MissingField => (BAD_REQUEST, "missing_field"),
    EmptyPart => (BAD_REQUEST, "empty_part"),
    DuplicateField => (BAD_REQUEST, "duplicate_field"),
    UnexpectedField => (BAD_REQUEST, "unexpected_field"),
    MalformedMultipart => (BAD_REQUEST, "malformed_multipart"),
    InvalidMeta => (BAD_REQUEST, "invalid_meta"),
    InvalidReferenceSource => (BAD_REQUEST, "invalid_reference_source"),
    InvalidIdempotencyKey => (BAD_REQUEST, "invalid_idempotency_key"),
    InvalidBody => (BAD_REQUEST, "invalid_body"),
    InvalidQuery => (BAD_REQUEST, "invalid_query"),
    InvalidRequest => (BAD_REQUEST, "invalid_request"),
    InvalidFrames => (BAD_REQUEST, "invalid_frames"),
    Unauthenticated => (UNAUTHORIZED, "unauthenticated"),
    InvalidCredentials => (UNAUTHORIZED, "invalid_credentials"),
    Forbidden => (FORBIDDEN, "forbidden"),
    PurposeNotPermitted => (FORBIDDEN, "purpose_not_permitted"),
    ConsentRequired => (FORBIDDEN, "consent_required"),
    CsrfFailed => (FORBIDDEN, "csrf_failed"),
    NotFound => (NOT_FOUND, "not_found"),
    MethodNotAllowed => (METHOD_NOT_ALLOWED, "method_not_allowed"),
    UploadTooSlow => (REQUEST_TIMEOUT, "upload_too_slow"),
    IdempotencyConflict => (CONFLICT, "idempotency_key_reused"),
    ConsentWithdrawn => (CONFLICT, "consent_already_withdrawn"),
    CaseClosed => (CONFLICT, "case_closed"),
    CaseNotConfirmedFraud => (CONFLICT, "case_not_confirmed_fraud"),
    AlreadyListed => (CONFLICT, "already_listed"),
    CaseNotClearedDuplicate => (CONFLICT, "case_not_cleared_duplicate"),
    AuditChainBroken => (CONFLICT, "audit_chain_broken"),
    LivenessSessionNotUsable => (CONFLICT, "liveness_session_not_usable"),
    LivenessSessionClosed => (GONE, "liveness_session_closed"),
    LivenessSessionRequired => (UNPROCESSABLE_ENTITY, "liveness_session_required"),
    PayloadTooLarge => (PAYLOAD_TOO_LARGE, "payload_too_large"),
    ImageTooLarge => (PAYLOAD_TOO_LARGE, "image_too_large"),
    UnsupportedMediaType => (UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
    UnsupportedImageFormat => (UNPROCESSABLE_ENTITY, "unsupported_image_format"),
    TooManyAttempts => (TOO_MANY_REQUESTS, "too_many_attempts"),
    CorruptImage => (UNPROCESSABLE_ENTITY, "corrupt_image"),
    Internal => (INTERNAL_SERVER_ERROR, "internal_error"),
    Overloaded => (SERVICE_UNAVAILABLE, "overloaded"),
    Unavailable => (SERVICE_UNAVAILABLE, "service_unavailable"),
}

#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    message: Cow<'static, str>,
    /// An explicit `Retry-After` (a sign-in limit's own wait). Every other 503 gets the configured
    /// `server.retry_after_secs` on its way out (`http::edges::finish`): the one place it is set.
    retry_after: Option<u64>,
}

// `ApiError` writes it, and so does `http::edges` for the errors actix answers itself.
/// The body of every error answer of the API.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub(crate) struct ErrorBody<'a> {
    /// Stable machine-readable code; clients may switch on it.
    #[schema(schema_with = error_codes)]
    pub code: &'static str,
    /// For people; never personal data.
    pub message: &'a str,
}

/// Every code of `ErrorCode`, as an enum of strings.
fn error_codes() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(ErrorCode::ALL.iter().map(|c| c.as_str())))
        .build()
}

impl ApiError {
    /// A client error. `message` must never contain personal data or request content.
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self { code, message: message.into(), retry_after: None }
    }

    /// A server-side failure: the cause is logged with its chain, the client sees only the code.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        tracing::error!(error.cause_chain = %chain(cause), "internal error");
        Self::new(ErrorCode::Internal, "internal error")
    }

    /// A dependency (the database, the gallery) is not available now: 503, with `Retry-After`.
    pub fn unavailable(cause: &(dyn std::error::Error + 'static)) -> Self {
        tracing::warn!(error.cause_chain = %chain(cause), "dependency unavailable");
        Self::new(ErrorCode::Unavailable, "service temporarily unavailable")
    }

    /// Capacity is full: 503, with `Retry-After`.
    pub fn overloaded() -> Self {
        Self::new(ErrorCode::Overloaded, "too many verifications in progress, retry later")
    }

    /// Tells the client when to retry (`Retry-After`, seconds).
    pub fn with_retry_after(self, secs: u64) -> Self {
        Self { retry_after: Some(secs), ..self }
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if let Some(secs) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        response.json(ErrorBody { code: self.code.as_str(), message: &self.message })
    }
}

/// A store failure as the API reports it: a missing row is 404, an unavailable database 503 (with `Retry-After`),
/// anything else an opaque 500 whose cause goes to the log.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::new(ErrorCode::NotFound, "no such resource"),
            StoreError::Unavailable(_) => ApiError::unavailable(&e),
            other => ApiError::internal(&other),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::from(e).into()
    }
}

/// `error: cause: cause`, for logs.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut current = e.source();
    while let Some(cause) = current {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        current = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_server_errors_are_5xx() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {}", code.as_str());
            assert!(code.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            assert!(code.status().is_client_error() || code.status().is_server_error());
        }
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let cause = std::io::Error::other("disk /secret/path exploded");
        let err = ApiError::internal(&cause);
        assert_eq!(err.message(), "internal error");
        assert_eq!(err.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn an_explicit_wait_is_the_retry_after() {
        let response = ApiError::new(ErrorCode::TooManyAttempts, "wait").with_retry_after(3).error_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()), Some("3"));
    }

    #[test]
    fn store_failures_map_to_404_503_and_opaque_500() {
        assert_eq!(ApiError::from(StoreError::NotFound).code, ErrorCode::NotFound);
        let down = ApiError::from(StoreError::Unavailable(sqlx::Error::PoolTimedOut));
        assert_eq!(down.code, ErrorCode::Unavailable);
        let corrupt = ApiError::from(StoreError::Corrupt("row"));
        assert_eq!((corrupt.code, corrupt.message()), (ErrorCode::Internal, "internal error"));
    }
}
