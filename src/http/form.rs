//! Reading the verification multipart form under limits: exactly `selfie` (or `liveness_session_id`), `document`
//! and `meta`, and optionally `reference` (the state database's photo, with `meta.reference_source`), each once,
//! none empty, each bounded in bytes while it streams in, the whole (the reference included) within the request size
//! limit, a deadline and above a minimum rate.

use std::time::Duration;

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use tokio::time::Instant;

use crate::domain::{MetaError, VerificationMeta};
use crate::error::{ApiError, ErrorCode};
use crate::pipeline::UploadBytes;
use crate::verification::{Selfie, Submission};

const META_MAX_BYTES: usize = 16 * 1024;
const SESSION_ID_MAX_BYTES: usize = 64;

#[derive(Clone, Copy)]
pub(crate) struct FormLimits {
    pub image_bytes: usize,
    pub request_bytes: usize,
    /// The whole body must have arrived within this.
    pub timeout: Duration,
    /// After `grace`, the average rate since the start must stay at or above this (0: no floor).
    pub min_bytes_per_sec: u64,
    pub grace: Duration,
}

/// When the next piece of the body must have arrived, given how much has: the total deadline, or earlier when the
/// average rate would fall below the floor.
pub(crate) struct Pace {
    started: Instant,
    limits: FormLimits,
}

impl Pace {
    pub(crate) fn start(limits: FormLimits) -> Self {
        Self { started: Instant::now(), limits }
    }

    fn deadline(&self, received: usize) -> Instant {
        let total = self.started + self.limits.timeout;
        if self.limits.min_bytes_per_sec == 0 {
            return total;
        }
        let earned = Duration::from_secs_f64(received as f64 / self.limits.min_bytes_per_sec as f64);
        total.min(self.started + earned.max(self.limits.grace))
    }

    pub(crate) async fn next<S: futures_util::Stream + Unpin>(
        &self,
        stream: &mut S,
        received: usize,
    ) -> Result<Option<S::Item>, ApiError> {
        tokio::time::timeout_at(self.deadline(received), stream.next()).await.map_err(|_| {
            tracing::info!(received, "upload too slow: refused");
            ApiError::new(ErrorCode::UploadTooSlow, "the upload was too slow or stalled")
        })
    }
}

/// Refuses anything that is not `multipart/form-data` or that declares a body over the limit, before reading it.
pub(crate) fn check_headers(req: &HttpRequest, limits: FormLimits) -> Result<(), ApiError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return Err(ApiError::new(ErrorCode::UnsupportedMediaType, "expected multipart/form-data"));
    }
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limits.request_bytes) {
        return Err(too_large("request"));
    }
    Ok(())
}

pub(crate) async fn read(req: &HttpRequest, payload: web::Payload, limits: FormLimits) -> Result<Submission, ApiError> {
    let mut multipart = Multipart::new(req.headers(), payload);
    let pace = Pace::start(limits);
    let (mut selfie, mut document, mut meta, mut session, mut reference) = (None, None, None, None, None);
    let mut total = 0usize;
    while let Some(field) = pace.next(&mut multipart, total).await? {
        let mut field = field.map_err(malformed)?;
        let name = field.name().unwrap_or("").to_owned();
        let (slot, max) = match name.as_str() {
            "selfie" => (&mut selfie, limits.image_bytes),
            "document" => (&mut document, limits.image_bytes),
            "meta" => (&mut meta, META_MAX_BYTES),
            "liveness_session_id" => (&mut session, SESSION_ID_MAX_BYTES),
            "reference" => (&mut reference, limits.image_bytes),
            _ => {
                return Err(ApiError::new(
                    ErrorCode::UnexpectedField,
                    "only selfie (or liveness_session_id), document, meta and reference parts are accepted",
                ))
            }
        };
        if slot.is_some() {
            return Err(ApiError::new(ErrorCode::DuplicateField, format!("part `{name}` appears more than once")));
        }
        let mut data = UploadBytes::new();
        while let Some(chunk) = pace.next(&mut field, total).await? {
            let chunk = chunk.map_err(malformed)?;
            total += chunk.len();
            if data.len() + chunk.len() > max || total > limits.request_bytes {
                return Err(too_large(&name));
            }
            data.extend_from_slice(&chunk);
        }
        if data.is_empty() {
            return Err(ApiError::new(ErrorCode::EmptyPart, format!("part `{name}` is empty")));
        }
        *slot = Some(data);
    }
    let missing = |part: &str| ApiError::new(ErrorCode::MissingField, format!("part `{part}` is required"));
    let selfie = match (selfie, session) {
        (Some(photo), None) => Selfie::Still(photo),
        (None, Some(id)) => {
            let id =
                std::str::from_utf8(&id).ok().and_then(|s| uuid::Uuid::parse_str(s.trim()).ok()).ok_or_else(|| {
                    ApiError::new(ErrorCode::InvalidRequest, "liveness_session_id must be a session id (a UUID)")
                })?;
            Selfie::Session(id)
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::new(
                ErrorCode::UnexpectedField,
                "send either a selfie or a liveness_session_id, not both",
            ))
        }
        (None, None) => return Err(missing("selfie")),
    };
    let document = document.ok_or_else(|| missing("document"))?;
    let meta_raw = meta.ok_or_else(|| missing("meta"))?;
    let meta = VerificationMeta::parse(&meta_raw).map_err(|e| match e {
        MetaError::PurposeNotPermitted => ApiError::new(ErrorCode::PurposeNotPermitted, e.to_string()),
        MetaError::BadReferenceSource => ApiError::new(ErrorCode::InvalidReferenceSource, e.to_string()),
        other => ApiError::new(ErrorCode::InvalidMeta, other.to_string()),
    })?;
    // A reference photo and its source come together: the source is what the verification records of it.
    match (&reference, &meta.reference_source) {
        (Some(_), None) => {
            return Err(ApiError::new(
                ErrorCode::InvalidReferenceSource,
                "meta.reference_source is required with a reference part",
            ))
        }
        (None, Some(_)) => {
            return Err(ApiError::new(
                ErrorCode::MissingField,
                "part `reference` is required with meta.reference_source",
            ))
        }
        _ => {}
    }
    Ok(Submission { selfie, document, meta, meta_raw, reference })
}

pub(crate) fn too_large(what: &str) -> ApiError {
    ApiError::new(ErrorCode::PayloadTooLarge, format!("{what} exceeds the size limit"))
}

pub(crate) fn malformed(e: actix_multipart::MultipartError) -> ApiError {
    tracing::debug!(error = %e, "malformed multipart body");
    ApiError::new(ErrorCode::MalformedMultipart, "the multipart body is malformed")
}
