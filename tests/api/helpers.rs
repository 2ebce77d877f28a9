//! Test support: locating ../shared, a shared inference pool, and `spawn_app` on port 0 with a fresh database.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use faceverify::config::Settings;
use faceverify::pipeline::pool::InferencePool;
use faceverify::startup::Application;
use reqwest::multipart::{Form, Part};

/// `../shared` beside the checkout (or `FACEVERIFY_SHARED_DIR`). Absent on a user's fresh clone: tests that
/// need it say loudly that they skipped, except under `CI=true`, where its absence is a failure.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("FACEVERIFY_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if dir.join("models/reference_outputs.json").is_file() && dir.join("data/faces/pairs.csv").is_file() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but the shared evaluation data is missing at {}", dir.display());
    }
    eprintln!("SKIPPED: shared evaluation data not found at {} (set FACEVERIFY_SHARED_DIR)", dir.display());
    None
}

/// Returns early from a test when ../shared is absent (after saying so).
macro_rules! require_shared {
    () => {
        match $crate::helpers::shared_dir() {
            Some(dir) => dir,
            None => return,
        }
    };
}
pub(crate) use require_shared;

pub fn face(shared: &Path, rel: &str) -> Vec<u8> {
    let path = shared.join("data/faces").join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

pub fn settings() -> Settings {
    let mut s = Settings::defaults().expect("default settings");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    s.models.dir = root.join("models");
    s.models.ort_dylib = root.join(".runtime/onnxruntime/libonnxruntime.so.1.31.1");
    s.server.port = 0;
    s
}

/// One pool of loaded models for the whole test binary (loading SFace per test would dominate the run).
pub fn pool() -> Arc<InferencePool> {
    static POOL: OnceLock<Arc<InferencePool>> = OnceLock::new();
    POOL.get_or_init(|| {
        init_telemetry();
        faceverify::engine::start(&settings())
            .unwrap_or_else(|e| panic!("models could not be loaded (run scripts/setup.sh first): {e}"))
    })
    .clone()
}

fn init_telemetry() {
    if std::env::var_os("TEST_LOG").is_some() {
        faceverify::telemetry::init("debug", std::io::stdout);
    } else {
        faceverify::telemetry::init("info", std::io::sink);
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    _db: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let db = tempfile::tempdir().expect("tempdir");
    let mut settings = settings();
    settings.database.url = format!("sqlite://{}", db.path().join("test.db").display());
    tweak(&mut settings);
    let app = Application::build_with_pool(settings, pool()).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp { address, client: reqwest::Client::new(), _db: db }
}

pub const META: &str = r#"{"applicant_ref":"APP-0001","purpose":"identification","consent_ref":"CONSENT-1"}"#;

pub fn form(selfie: Vec<u8>, document: Vec<u8>, meta: &str) -> Form {
    Form::new()
        .part("selfie", Part::bytes(selfie).file_name("selfie.jpg").mime_str("image/jpeg").expect("mime"))
        .part("document", Part::bytes(document).file_name("document.jpg").mime_str("image/jpeg").expect("mime"))
        .part("meta", Part::text(meta.to_owned()).mime_str("application/json").expect("mime"))
}

impl TestApp {
    pub async fn post_verification(&self, form: Form) -> reqwest::Response {
        self.client.post(format!("{}/v1/verifications", self.address)).multipart(form).send().await.expect("request")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{}", self.address, path)).send().await.expect("request")
    }
}

/// Asserts an error response's status and stable code; returns the body.
pub async fn assert_error(response: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "expected {status} {code}");
    let body: serde_json::Value = response.json().await.expect("JSON error body");
    assert_eq!(body["code"], code, "body: {body}");
    assert!(body["message"].is_string());
    body
}
