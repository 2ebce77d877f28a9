//! What every answer passes on its way out, and the extractor error handlers. Every error is `{code, message}` with
//! a stable code, including the ones actix writes itself (plain-text 400/413/415, empty 404/405); 405 carries
//! `Allow`; every 503 carries `Retry-After`; every answer carries `X-Content-Type-Options: nosniff`, and the API's `Cache-Control: no-store`
//! (its answers are personal data). Under /console errors are HTML pages with the same code instead.

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::error::{JsonPayloadError, QueryPayloadError, UrlencodedError};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web;

use crate::error::{ApiError, ErrorBody, ErrorCode};

fn logged(e: &dyn std::fmt::Display, what: &'static str) {
    tracing::debug!(error = %e, "{what}");
}

pub(crate) fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|e: QueryPayloadError, _| {
        logged(&e, "bad query string");
        ApiError::new(ErrorCode::InvalidQuery, "the query string does not fit this resource").into()
    })
}

pub(crate) fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|e, _| {
        logged(&e, "bad path parameter");
        ApiError::new(ErrorCode::NotFound, "no such resource").into()
    })
}

pub(crate) fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(16 * 1024).error_handler(|e: JsonPayloadError, _| {
        logged(&e, "bad JSON body");
        match e {
            JsonPayloadError::ContentType => {
                ApiError::new(ErrorCode::UnsupportedMediaType, "expected application/json")
            }
            JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
                ApiError::new(ErrorCode::PayloadTooLarge, "the body exceeds the size limit")
            }
            _ => ApiError::new(ErrorCode::InvalidBody, "the body is not the expected JSON object"),
        }
        .into()
    })
}

pub(crate) fn form_config() -> web::FormConfig {
    web::FormConfig::default().error_handler(|e: UrlencodedError, _| {
        logged(&e, "bad form body");
        match e {
            UrlencodedError::ContentType => {
                ApiError::new(ErrorCode::UnsupportedMediaType, "expected application/x-www-form-urlencoded")
            }
            UrlencodedError::Overflow { .. } => ApiError::new(ErrorCode::PayloadTooLarge, "the form is too large"),
            _ => ApiError::new(ErrorCode::InvalidBody, "the form does not have the expected fields"),
        }
        .into()
    })
}

/// The code and message an error answer stands for: the `ApiError` it came from, else one from its status.
fn code_of(res: &ServiceResponse<BoxBody>) -> (ErrorCode, String) {
    if let Some(e) = res.response().error().and_then(|e| e.as_error::<ApiError>()) {
        return (e.code, e.message().to_owned());
    }
    let (code, message) = match res.status() {
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, "no such resource"),
        StatusCode::METHOD_NOT_ALLOWED => (ErrorCode::MethodNotAllowed, "method not allowed"),
        StatusCode::REQUEST_TIMEOUT => (ErrorCode::UploadTooSlow, "the request was too slow"),
        StatusCode::PAYLOAD_TOO_LARGE => (ErrorCode::PayloadTooLarge, "the body exceeds the size limit"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (ErrorCode::UnsupportedMediaType, "unsupported content type"),
        StatusCode::SERVICE_UNAVAILABLE => (ErrorCode::Unavailable, "service temporarily unavailable"),
        s if s.is_server_error() => (ErrorCode::Internal, "internal error"),
        _ => (ErrorCode::InvalidRequest, "the request is malformed"),
    };
    (code, message.to_owned())
}

fn is_json(res: &ServiceResponse<BoxBody>) -> bool {
    let content_type = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    content_type.starts_with("application/json")
}

fn json_body(res: ServiceResponse<BoxBody>, code: ErrorCode, message: &str) -> ServiceResponse<BoxBody> {
    let body = serde_json::to_string(&ErrorBody { code: code.as_str(), message }).unwrap_or_default();
    res.map_body(|head, _| {
        head.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        head.headers.remove(header::CONTENT_LENGTH);
        BoxBody::new(body)
    })
}

/// The last step of every answer (innermost middleware of the app).
pub(crate) fn finish(mut res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let path = res.request().path().to_owned();
    let headers = res.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if path == "/v1" || path.starts_with("/v1/") {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let status = res.status();
    // Every 503 says when to retry: the one place the configured wait is set.
    if status == StatusCode::SERVICE_UNAVAILABLE && !res.headers().contains_key(header::RETRY_AFTER) {
        let secs = res.request().app_data::<web::Data<super::AppState>>().map_or(1, |s| s.retry_after_secs);
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    if status == StatusCode::METHOD_NOT_ALLOWED && !res.headers().contains_key(header::ALLOW) {
        if let Some(allow) = super::routes::allowed(&path).and_then(|a| HeaderValue::from_str(&a).ok()) {
            res.headers_mut().insert(header::ALLOW, allow);
        }
    }
    if !status.is_client_error() && !status.is_server_error() {
        return res;
    }
    let console = path == "/console" || path.starts_with("/console/");
    let (code, message) = code_of(&res);
    if console {
        let html = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
        return if html { res } else { crate::console::error_page(res, code.as_str(), &message) };
    }
    if is_json(&res) {
        return res;
    }
    json_body(res, code, &message)
}
