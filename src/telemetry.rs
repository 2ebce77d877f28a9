//! Structured JSON logs through `tracing`. Handlers are instrumented with `skip_all`: images, embeddings and
//! personal references never become span fields.

use tracing::subscriber::set_global_default;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::{layer::SubscriberExt, EnvFilter, Registry};

/// Installs a JSON subscriber writing to `sink`, filtered by `RUST_LOG` (default `default_filter`).
pub fn init<W>(default_filter: &str, sink: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let subscriber = Registry::default()
        .with(filter)
        .with(tracing_subscriber::fmt::layer().json().with_current_span(true).with_writer(sink));
    if set_global_default(subscriber).is_err() {
        eprintln!("telemetry: a global subscriber was already set");
    }
}

/// The request span without the request target: paths can carry personal references
/// (`/v1/subjects/{ref}`), so spans name the route pattern instead. Status and error code are recorded at the end.
pub struct PrivacyRootSpan;

impl tracing_actix_web::RootSpanBuilder for PrivacyRootSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;
        let route = request.match_pattern().unwrap_or_else(|| "unmatched".to_owned());
        let request_id =
            request.extensions().get::<tracing_actix_web::RequestId>().map(|id| id.to_string()).unwrap_or_default();
        tracing::info_span!(
            "http_request",
            http.method = %request.method(),
            http.route = %route,
            request_id = %request_id,
            http.status_code = tracing::field::Empty,
            error.code = tracing::field::Empty,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        let status = match outcome {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        span.record("http.status_code", status.as_u16());
        if let Ok(response) = outcome {
            if let Some(error) = response.response().error() {
                // ApiError's Display is "code: message", and messages never carry request content.
                span.record("error.code", tracing::field::display(error));
            }
        }
    }
}
