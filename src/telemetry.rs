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
