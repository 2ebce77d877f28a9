//! Prometheus metrics on the `metrics` crate, rendered by its Prometheus exporter at `/metrics`: requests by route
//! pattern and status, decisions, per-stage pipeline latency histograms, verifications and uploads in flight, model
//! load time, embedding batches, gallery gauges. The names live here; labels are route patterns and codes only: never
//! identifiers or personal data.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use ::metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

const REQUESTS: &str = "faceverify_http_requests_total";
const DECISIONS: &str = "faceverify_decisions_total";
const LIVENESS_ATTEMPTS: &str = "faceverify_liveness_attempts_total";
const STAGE_SECONDS: &str = "faceverify_stage_seconds";
const IN_FLIGHT: &str = "faceverify_verifications_in_flight";
const CAPACITY: &str = "faceverify_verifications_capacity";
const UPLOADS_IN_FLIGHT: &str = "faceverify_uploads_in_flight";
const UPLOADS_CAPACITY: &str = "faceverify_uploads_capacity";
const MODEL_LOAD_SECONDS: &str = "faceverify_model_load_seconds";
const BATCHES: &str = "faceverify_batches_total";
const BATCHED_SAMPLES: &str = "faceverify_batched_samples_total";
/// The models a batcher can run (`pipeline::batch::BatchModel::NAME`), registered at zero.
const BATCHED_MODELS: [&str; 3] = ["yunet", "minifasnet", "recognition"];
const GALLERY_TEMPLATES: &str = "faceverify_gallery_templates";
const GALLERY_SYNC_AGE: &str = "faceverify_gallery_sync_age_seconds";
const GALLERY_OTHER_MODEL: &str = "faceverify_gallery_other_model_templates";
const DUPLICATE_BAR: &str = "faceverify_duplicate_bar";
const GALLERY_INT8: &str = "faceverify_gallery_int8";
const AUDIT_LANES: &str = "faceverify_audit_lanes";

/// Upper bounds of the stage latency buckets, in seconds (5 ms .. 5 s).
const STAGE_BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// How often histogram samples are folded into their buckets when nobody scrapes.
const UPKEEP: Duration = Duration::from_secs(5);

/// Pipeline stages with their own latency histogram.
#[derive(Debug, Clone, Copy)]
pub enum Stage {
    Decode,
    Detect,
    Liveness,
    Embed,
    Verify,
    /// Text detection on the document photo (is it a document).
    DocumentText,
    /// A verification's write transaction, from holding its audit lane to its commit: how long an erasure or a
    /// sweep, and another append about the same applicant, waits behind it (16 lanes: their ceiling is about
    /// sixteen over this).
    Record,
}

impl Stage {
    const ALL: [Stage; 7] = [
        Stage::Decode,
        Stage::Detect,
        Stage::Liveness,
        Stage::Embed,
        Stage::Verify,
        Stage::DocumentText,
        Stage::Record,
    ];

    fn label(self) -> &'static str {
        match self {
            Stage::Decode => "decode",
            Stage::Detect => "detect",
            Stage::Liveness => "liveness",
            Stage::Embed => "embed",
            Stage::Verify => "verify",
            Stage::DocumentText => "document_text",
            Stage::Record => "record",
        }
    }
}

/// The process's recorder, installed on first use: one per process, however many apps it starts (tests).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(install)
}

fn install() -> PrometheusHandle {
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(STAGE_SECONDS.to_owned()), &STAGE_BUCKETS)
        .unwrap_or_else(|_| PrometheusBuilder::new());
    let recorder = builder.build_recorder();
    let handle = recorder.handle();
    if ::metrics::set_global_recorder(recorder).is_err() {
        tracing::warn!("another metrics recorder is installed: /metrics shows only what reaches this one");
    }
    let upkeep = handle.clone();
    let spawned = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || loop {
        std::thread::sleep(UPKEEP);
        upkeep.run_upkeep();
    });
    if spawned.is_err() {
        tracing::warn!("no metrics upkeep thread: histogram samples are folded at each scrape only");
    }
    describe();
    // Registered at zero, so that a scrape shows them before their first event.
    for stage in Stage::ALL {
        let _ = histogram!(STAGE_SECONDS, "stage" => stage.label());
    }
    for model in BATCHED_MODELS {
        counter!(BATCHES, "model" => model).absolute(0);
        counter!(BATCHED_SAMPLES, "model" => model).absolute(0);
    }
    gauge!(MODEL_LOAD_SECONDS).set(0.0);
    handle
}

fn describe() {
    describe_counter!(REQUESTS, "HTTP requests by method, route pattern and status.");
    describe_counter!(DECISIONS, "Verification decisions.");
    describe_counter!(LIVENESS_ATTEMPTS, "Liveness-session attempts by result (live, retry, failed).");
    describe_histogram!(STAGE_SECONDS, "Pipeline stage latency.");
    describe_gauge!(IN_FLIGHT, "Verifications admitted and not finished.");
    describe_gauge!(CAPACITY, "Admission limit (models.max_in_flight).");
    describe_gauge!(UPLOADS_IN_FLIGHT, "Verification bodies being read, before admission.");
    describe_gauge!(UPLOADS_CAPACITY, "Upload limit (server.max_uploads_in_flight).");
    describe_gauge!(MODEL_LOAD_SECONDS, "Time to verify, load and warm up the models.");
    describe_counter!(BATCHES, "Runs of a batcher by model (models.detect_batch, liveness_batch, embed_batch > 1).");
    describe_counter!(BATCHED_SAMPLES, "Samples (photos, faces) those runs answered, padding not counted.");
    describe_gauge!(GALLERY_TEMPLATES, "Templates in this replica's gallery.");
    describe_gauge!(GALLERY_INT8, "1 when 1:N search takes the 8-bit first pass (gallery.int8_from reached).");
    describe_gauge!(AUDIT_LANES, "Audit lanes appends spread over (16 on PostgreSQL, 1 on SQLite).");
    describe_gauge!(
        GALLERY_OTHER_MODEL,
        "Stored templates of another recognition model than the running one: not searched (a swapped model)."
    );
    describe_gauge!(GALLERY_SYNC_AGE, "Seconds since the gallery last matched the store (-1 before the first load).");
    describe_gauge!(DUPLICATE_BAR, "The 1:N duplicate bar for this gallery's size (thresholds.duplicate_target_fpir).");
}

pub fn observe_stage(stage: Stage, elapsed: Duration) {
    handle();
    histogram!(STAGE_SECONDS, "stage" => stage.label()).record(elapsed.as_secs_f64());
}

pub fn count_request(method: &str, pattern: &str, status: u16) {
    handle();
    let labels = [("method", method.to_owned()), ("route", pattern.to_owned()), ("status", status.to_string())];
    counter!(REQUESTS, &labels).increment(1);
}

pub fn count_decision(decision: &'static str) {
    handle();
    counter!(DECISIONS, "decision" => decision).increment(1);
}

/// One liveness-session attempt's result.
pub fn count_liveness_attempt(result: &'static str) {
    handle();
    counter!(LIVENESS_ATTEMPTS, "result" => result).increment(1);
}

/// One run of `model`'s batcher over `samples` samples.
pub fn count_batch(model: &'static str, samples: usize) {
    handle();
    counter!(BATCHES, "model" => model).increment(1);
    counter!(BATCHED_SAMPLES, "model" => model).increment(u64::try_from(samples).unwrap_or(u64::MAX));
}

pub fn set_model_load(elapsed: Duration) {
    handle();
    gauge!(MODEL_LOAD_SECONDS).set(elapsed.as_secs_f64());
}

/// What one app knows at the moment of a scrape: admission control, the upload bound, the gallery.
#[derive(Debug, Clone, Copy)]
pub struct Scrape {
    pub in_flight: usize,
    pub capacity: usize,
    pub uploads_in_flight: usize,
    pub uploads_capacity: usize,
    pub gallery_templates: usize,
    /// Seconds since the gallery last matched the store (this replica's gallery lag bound); `None` before the
    /// first load.
    pub gallery_sync_age_secs: Option<f64>,
    /// Stored templates of another recognition model, not searched.
    pub gallery_other_model_templates: usize,
    /// The cosine at which a 1:N search against the gallery as it is now flags a duplicate.
    pub duplicate_bar: f32,
    /// Whether 1:N search takes the 8-bit first pass.
    pub gallery_int8: bool,
    /// The audit lanes appends spread over.
    pub audit_lanes: i64,
}

/// The exposition text, with `now`'s gauges.
pub fn render(now: &Scrape) -> String {
    // The gauges are the scraping app's: set and rendered under one lock, so that apps sharing the process (tests)
    // each read their own.
    static SCRAPE: Mutex<()> = Mutex::new(());
    let handle = handle();
    let _one_at_a_time = SCRAPE.lock().unwrap_or_else(|p| p.into_inner());
    gauge!(IN_FLIGHT).set(now.in_flight as f64);
    gauge!(CAPACITY).set(now.capacity as f64);
    gauge!(UPLOADS_IN_FLIGHT).set(now.uploads_in_flight as f64);
    gauge!(UPLOADS_CAPACITY).set(now.uploads_capacity as f64);
    gauge!(GALLERY_TEMPLATES).set(now.gallery_templates as f64);
    gauge!(GALLERY_SYNC_AGE).set(now.gallery_sync_age_secs.unwrap_or(-1.0));
    gauge!(GALLERY_OTHER_MODEL).set(now.gallery_other_model_templates as f64);
    gauge!(DUPLICATE_BAR).set(f64::from(now.duplicate_bar));
    gauge!(GALLERY_INT8).set(f64::from(u8::from(now.gallery_int8)));
    gauge!(AUDIT_LANES).set(now.audit_lanes as f64);
    handle.render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_histograms_keep_their_buckets_and_gauges_are_the_scrapers() {
        observe_stage(Stage::Detect, Duration::from_millis(30));
        count_request("GET", "/v1/cases/{id}", 200);
        let now = Scrape {
            in_flight: 2,
            capacity: 8,
            uploads_in_flight: 1,
            uploads_capacity: 4,
            gallery_templates: 7,
            gallery_sync_age_secs: None,
            gallery_other_model_templates: 3,
            duplicate_bar: 0.5,
            gallery_int8: true,
            audit_lanes: 16,
        };
        let text = render(&now);
        assert!(text.contains("# TYPE faceverify_stage_seconds histogram"), "{text}");
        assert!(text.contains(r#"faceverify_stage_seconds_bucket{stage="detect",le="0.05"} "#), "{text}");
        assert!(text.contains(r#"faceverify_stage_seconds_bucket{stage="embed",le="+Inf"} "#), "all stages shown");
        assert!(text.contains(r#"faceverify_http_requests_total{method="GET",route="/v1/cases/{id}",status="200"}"#));
        for line in [
            "faceverify_verifications_in_flight 2",
            "faceverify_verifications_capacity 8",
            "faceverify_uploads_in_flight 1",
            "faceverify_uploads_capacity 4",
            "faceverify_gallery_other_model_templates 3",
            "faceverify_gallery_templates 7",
            "faceverify_gallery_sync_age_seconds -1",
            "faceverify_duplicate_bar 0.5",
            "faceverify_gallery_int8 1",
            "faceverify_audit_lanes 16",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in {text}");
        }
        assert!(text.contains(r#"faceverify_batches_total{model="yunet"} "#), "registered at zero: {text}");
    }
}
