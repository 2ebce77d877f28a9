//! Prometheus metrics, in the text exposition format at `/metrics`: requests by route pattern and status,
//! decisions, per-stage pipeline latency histograms, verifications in flight, model load time, embedding batches. Labels are route
//! patterns and codes only: never identifiers or personal data.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

const BUCKETS_MS: [u64; 10] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

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
}

const STAGES: [(&str, Stage); 6] = [
    ("decode", Stage::Decode),
    ("detect", Stage::Detect),
    ("liveness", Stage::Liveness),
    ("embed", Stage::Embed),
    ("verify", Stage::Verify),
    ("document_text", Stage::DocumentText),
];

#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS_MS.len()],
    count: AtomicU64,
    sum_us: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let ms = d.as_secs_f64() * 1000.0;
        for (bucket, le) in self.buckets.iter().zip(BUCKETS_MS) {
            if ms <= le as f64 {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(u64::try_from(d.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }
}

#[derive(Default)]
struct Registry {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    decisions: Mutex<BTreeMap<&'static str, u64>>,
    stages: [Histogram; STAGES.len()],
    model_load_ms: AtomicU64,
    embed_batches: AtomicU64,
    embed_batched_faces: AtomicU64,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::default)
}

pub fn observe_stage(stage: Stage, elapsed: Duration) {
    registry().stages[stage as usize].observe(elapsed);
}

pub fn count_request(method: &str, pattern: &str, status: u16) {
    let mut map = registry().requests.lock().unwrap_or_else(|p| p.into_inner());
    *map.entry((method.to_owned(), pattern.to_owned(), status)).or_default() += 1;
}

pub fn count_decision(decision: &'static str) {
    *registry().decisions.lock().unwrap_or_else(|p| p.into_inner()).entry(decision).or_default() += 1;
}

/// One SFace run of the embedding batcher over `faces` faces.
pub fn count_embed_batch(faces: usize) {
    let r = registry();
    r.embed_batches.fetch_add(1, Ordering::Relaxed);
    r.embed_batched_faces.fetch_add(u64::try_from(faces).unwrap_or(u64::MAX), Ordering::Relaxed);
}

pub fn set_model_load(elapsed: Duration) {
    registry().model_load_ms.store(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX), Ordering::Relaxed);
}

/// The exposition text; `in_flight` and `capacity` describe admission control at this moment.
pub fn render(in_flight: usize, capacity: usize) -> String {
    let r = registry();
    let mut out = String::new();
    let _ = writeln!(out, "# HELP faceverify_http_requests_total HTTP requests by method, route pattern and status.");
    let _ = writeln!(out, "# TYPE faceverify_http_requests_total counter");
    for ((method, pattern, status), n) in r.requests.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        let _ = writeln!(
            out,
            "faceverify_http_requests_total{{method=\"{method}\",route=\"{pattern}\",status=\"{status}\"}} {n}"
        );
    }
    let _ = writeln!(out, "# HELP faceverify_decisions_total Verification decisions.");
    let _ = writeln!(out, "# TYPE faceverify_decisions_total counter");
    for (decision, n) in r.decisions.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        let _ = writeln!(out, "faceverify_decisions_total{{decision=\"{decision}\"}} {n}");
    }
    let _ = writeln!(out, "# HELP faceverify_stage_seconds Pipeline stage latency.");
    let _ = writeln!(out, "# TYPE faceverify_stage_seconds histogram");
    for (name, stage) in STAGES {
        let h = &r.stages[stage as usize];
        for (bucket, le) in h.buckets.iter().zip(BUCKETS_MS) {
            let le = le as f64 / 1000.0;
            let _ = writeln!(
                out,
                "faceverify_stage_seconds_bucket{{stage=\"{name}\",le=\"{le}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = h.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "faceverify_stage_seconds_bucket{{stage=\"{name}\",le=\"+Inf\"}} {count}");
        let sum = h.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "faceverify_stage_seconds_sum{{stage=\"{name}\"}} {sum}");
        let _ = writeln!(out, "faceverify_stage_seconds_count{{stage=\"{name}\"}} {count}");
    }
    let _ = writeln!(out, "# HELP faceverify_verifications_in_flight Verifications admitted and not finished.");
    let _ = writeln!(out, "# TYPE faceverify_verifications_in_flight gauge");
    let _ = writeln!(out, "faceverify_verifications_in_flight {in_flight}");
    let _ = writeln!(out, "# HELP faceverify_verifications_capacity Admission limit (models.max_in_flight).");
    let _ = writeln!(out, "# TYPE faceverify_verifications_capacity gauge");
    let _ = writeln!(out, "faceverify_verifications_capacity {capacity}");
    let _ = writeln!(out, "# HELP faceverify_model_load_seconds Time to verify, load and warm up the models.");
    let _ = writeln!(out, "# TYPE faceverify_model_load_seconds gauge");
    let _ = writeln!(out, "faceverify_model_load_seconds {}", r.model_load_ms.load(Ordering::Relaxed) as f64 / 1000.0);
    let _ = writeln!(
        out,
        "# HELP faceverify_embed_batches_total SFace runs of the embedding batcher (models.embed_batch > 1)."
    );
    let _ = writeln!(out, "# TYPE faceverify_embed_batches_total counter");
    let _ = writeln!(out, "faceverify_embed_batches_total {}", r.embed_batches.load(Ordering::Relaxed));
    let _ = writeln!(out, "# HELP faceverify_embed_batched_faces_total Faces embedded by those runs.");
    let _ = writeln!(out, "# TYPE faceverify_embed_batched_faces_total counter");
    let _ = writeln!(out, "faceverify_embed_batched_faces_total {}", r.embed_batched_faces.load(Ordering::Relaxed));
    out
}

/// The gallery gauges: templates held, and seconds since the gallery last matched the store (this replica's
/// gallery lag bound; -1 before the first load).
pub fn render_gallery(templates: usize, sync_age_secs: Option<f64>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# TYPE faceverify_gallery_templates gauge");
    let _ = writeln!(out, "faceverify_gallery_templates {templates}");
    let _ = writeln!(out, "# TYPE faceverify_gallery_sync_age_seconds gauge");
    let _ = writeln!(out, "faceverify_gallery_sync_age_seconds {:.3}", sync_age_secs.unwrap_or(-1.0));
    out
}

/// The upload gauges: verification bodies being read now, and their bound (server.max_uploads_in_flight).
pub fn render_uploads(in_flight: usize, capacity: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# HELP faceverify_uploads_in_flight Verification bodies being read, before admission.");
    let _ = writeln!(out, "# TYPE faceverify_uploads_in_flight gauge");
    let _ = writeln!(out, "faceverify_uploads_in_flight {in_flight}");
    let _ = writeln!(out, "# HELP faceverify_uploads_capacity Upload limit (server.max_uploads_in_flight).");
    let _ = writeln!(out, "# TYPE faceverify_uploads_capacity gauge");
    let _ = writeln!(out, "faceverify_uploads_capacity {capacity}");
    out
}
