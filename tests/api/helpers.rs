//! Test support: locating ../shared, a shared inference pool, and `spawn_app` on port 0 with a fresh database.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use faceverify::config::Settings;
use faceverify::pipeline::pool::InferencePool;
use faceverify::policy::Role;
use faceverify::startup::Application;
use faceverify::store::Store;
use faceverify::vault::Kek;
use reqwest::multipart::{Form, Part};

#[path = "database.rs"]
pub mod database;
#[path = "document_photo.rs"]
pub mod document_photo;
pub use database::TestDb;

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

/// The template the service computes for a selfie's main face, to look for it where it must not be.
pub async fn selfie_embedding(selfie: Vec<u8>) -> Vec<f32> {
    use faceverify::pipeline::{decode, largest, DecodeLimits};
    pool()
        .run(move |p| {
            let img = decode(&selfie, &DecodeLimits::default()).expect("decode");
            let faces = p.detect(&img, 0.8).expect("detect");
            p.embed(&img, largest(&faces).expect("face")).expect("embed").as_slice().to_vec()
        })
        .await
        .expect("pool")
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
    pub store: Store,
    pub kek: Kek,
    pub kek_file: PathBuf,
    pub db: TestDb,
    /// The onboarding service account's bearer key.
    pub api_key: String,
    pub dir: tempfile::TempDir,
    /// The app's sign-in throttle (what its password-hashing bound has done).
    pub login: Arc<faceverify::auth::LoginThrottle>,
    /// What the app was built with (a replica is built with the same).
    pub settings: Settings,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Writes a fresh 256-bit key-encryption key, owner-readable only.
pub fn write_kek(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut key = [0u8; 32];
    getrandom::getrandom(&mut key).expect("randomness");
    std::fs::write(path, hex::encode(key)).expect("write kek");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = TestDb::fresh(dir.path()).await;
    let kek_file = dir.path().join("kek-test.key");
    write_kek(&kek_file);
    let mut settings = settings();
    settings.database.url = db.url();
    settings.vault.kek_file = Some(kek_file.clone());
    tweak(&mut settings);
    let app = Application::build_with_pool(settings.clone(), pool()).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let login = app.login_throttle();
    tokio::spawn(app.run_until_stopped());
    let kek = faceverify::vault::load(&kek_file).expect("kek");
    let store = Store::connect(&settings.database.url).await.expect("store").unlock(&kek).await.expect("unlock");
    let key = faceverify::auth::create_service_account(&store, "onboarding").await.expect("service account");
    let api_key = key.plaintext.to_string();
    TestApp { address, client: client(), store, kek, kek_file, db, api_key, dir, login, settings }
}

/// A client that never reuses a connection the server may have closed: the service ends idle keep-alive
/// connections after 5 s, and a test that builds its next upload for longer on its single-threaded runtime would
/// otherwise send it down a closed connection (`IncompleteMessage`, seen on a loaded machine).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().pool_idle_timeout(std::time::Duration::from_secs(2)).build().expect("client")
}

/// A small face-free JPEG: it decodes, finds no face, and (with both parts) opens a case.
pub fn tiny_jpeg() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(64, 64, image::Rgb([90, 120, 150]))
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("jpeg");
    out.into_inner()
}

/// The meta part for `subject` under `consent_id`.
pub fn meta(subject: &str, consent_id: &str) -> String {
    format!(r#"{{"applicant_ref":"{subject}","purpose":"identification","consent_ref":"{consent_id}"}}"#)
}

/// A meta that is valid in form but names no consent (for requests refused before the consent check).
pub const META: &str = r#"{"applicant_ref":"APP-0001","purpose":"identification","consent_ref":"CONSENT-1"}"#;

/// A verification form whose document part is `document` *photographed on a specimen ID card* (see
/// `document_photo`): the service refuses a document photo that shows no document, so a face photo becomes an ID
/// card's portrait first. Bytes that do not decode as an image travel as they are.
pub fn form(selfie: Vec<u8>, document: Vec<u8>, meta: &str) -> Form {
    let seed = document.len() as u64;
    let document = document_photo::photographed(&document, seed).unwrap_or(document);
    raw_form(selfie, document, meta)
}

/// A verification form with both parts exactly as given.
pub fn raw_form(selfie: Vec<u8>, document: Vec<u8>, meta: &str) -> Form {
    Form::new()
        .part("selfie", Part::bytes(selfie).file_name("selfie.jpg").mime_str("image/jpeg").expect("mime"))
        .part("document", Part::bytes(document).file_name("document.jpg").mime_str("image/jpeg").expect("mime"))
        .part("meta", Part::text(meta.to_owned()).mime_str("application/json").expect("mime"))
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Records a checkbox consent for `subject` as the onboarding client; returns the consent id.
    pub async fn consent(&self, subject: &str) -> String {
        let response = self
            .client
            .post(self.url("/v1/consents"))
            .bearer_auth(&self.api_key)
            .header("X-Purpose", "identification")
            .json(&serde_json::json!({
                "subject_ref": subject, "channel": "checkbox", "text_version": "2026-03-17", "cross_border": false
            }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status().as_u16(), 201, "consent recorded");
        let body: serde_json::Value = response.json().await.expect("json");
        body["consent_id"].as_str().expect("consent_id").to_owned()
    }

    /// Starts another replica of the service on the same database and KEK (its own port, gallery and workers'
    /// queue; the shared inference pool); returns its base address. It lives as long as the test's runtime.
    pub async fn spawn_replica(&self) -> String {
        let app = Application::build_with_pool(self.settings.clone(), pool()).await.expect("replica builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        address
    }

    /// `faceverify ARGS` as an operator runs it against this app's database and KEK.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_faceverify"))
            .args(args)
            .env("FACEVERIFY__DATABASE__URL", self.db.url())
            .env("FACEVERIFY__VAULT__KEK_FILE", &self.kek_file)
            .env_remove("FACEVERIFY_KEK")
            .output()
            .expect("faceverify runs")
    }

    /// A meta for `subject` with a freshly recorded consent.
    pub async fn consented_meta(&self, subject: &str) -> String {
        meta(subject, &self.consent(subject).await)
    }

    /// Verifies `selfie` against `document` (photographed as a card, see `form`) for `subject`, under a fresh
    /// consent; the verification must be stored (201). Returns the client's answer.
    pub async fn verified(&self, subject: &str, selfie: Vec<u8>, document: Vec<u8>) -> serde_json::Value {
        self.verified_at(&self.address, subject, selfie, document).await
    }

    /// As `verified`, through the replica (or other app on this database) at `base`.
    pub async fn verified_at(
        &self,
        base: &str,
        subject: &str,
        selfie: Vec<u8>,
        document: Vec<u8>,
    ) -> serde_json::Value {
        let meta = self.consented_meta(subject).await;
        let response = self.post_verification_at(base, form(selfie, document, &meta)).await;
        assert_eq!(response.status().as_u16(), 201);
        response.json().await.expect("json")
    }

    /// A staff request (bearer `token`) declaring the anti-fraud purpose.
    pub fn staff_request(&self, method: reqwest::Method, token: &str, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(token).header("X-Purpose", "anti_fraud")
    }

    pub async fn post_verification(&self, form: Form) -> reqwest::Response {
        self.post_verification_at(&self.address, form).await
    }

    /// A verification posted to the app at `base` with this app's onboarding key.
    pub async fn post_verification_at(&self, base: &str, form: Form) -> reqwest::Response {
        self.client
            .post(format!("{base}/v1/verifications"))
            .bearer_auth(&self.api_key)
            .multipart(form)
            .send()
            .await
            .expect("request")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    /// GET as the onboarding client with a declared purpose.
    pub async fn get_as_client(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(&self.api_key)
            .header("X-Purpose", "identification")
            .send()
            .await
            .expect("request")
    }

    /// Creates a staff user with `role`, signs in with password + TOTP, returns the session token.
    pub async fn staff_session(&self, username: &str, role: Role) -> String {
        let password = "correct horse battery staple";
        let totp =
            faceverify::auth::create_staff(&self.store, &self.kek, username, role, password).await.expect("staff");
        let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
        let code = totp.code_at(now / faceverify::auth::TOTP_STEP_SECS);
        let response = self.login(username, password, &code).await;
        assert_eq!(response.status().as_u16(), 200, "login");
        session_cookie(&response).expect("session cookie")
    }

    pub async fn login(&self, username: &str, password: &str, code: &str) -> reqwest::Response {
        self.client
            .post(self.url("/v1/auth/login"))
            .json(&serde_json::json!({ "username": username, "password": password, "totp": code }))
            .send()
            .await
            .expect("request")
    }

    /// The subject's keyed pseudonym: how audit rows and consents store it.
    pub fn pseudonym(&self, subject: &str) -> String {
        self.store.pseudonym(subject).expect("service keys")
    }

    /// Withdraws `consent` as the onboarding client.
    pub async fn withdraw_consent(&self, consent: &str) -> reqwest::Response {
        self.client
            .delete(self.url(&format!("/v1/consents/{consent}")))
            .bearer_auth(&self.api_key)
            .header("X-Purpose", "identification")
            .send()
            .await
            .expect("request")
    }

    /// A staff request under the identification purpose that must answer 200; its JSON body.
    pub async fn staff_json(&self, token: &str, method: reqwest::Method, path: &str) -> serde_json::Value {
        self.staff_json_at(&self.address, token, method, path).await
    }

    /// As `staff_json`, through the replica at `base` (sessions live in the shared database).
    pub async fn staff_json_at(
        &self,
        base: &str,
        token: &str,
        method: reqwest::Method,
        path: &str,
    ) -> serde_json::Value {
        let response = self
            .client
            .request(method, format!("{base}{path}"))
            .bearer_auth(token)
            .header("X-Purpose", "identification")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status().as_u16(), 200, "{path}");
        response.json().await.expect("json")
    }

    pub async fn sql_count(&self, sql: &str) -> i64 {
        let mut conn = self.store.acquire().await.expect("connection");
        sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut *conn).await.expect("count")
    }

    pub async fn sql_blobs(&self, sql: &str) -> Vec<Vec<u8>> {
        let mut conn = self.store.acquire().await.expect("connection");
        sqlx::query_scalar::<_, Vec<u8>>(sql).fetch_all(&mut *conn).await.expect("blobs")
    }

    pub async fn sql_exec(&self, sql: &str) {
        let mut conn = self.store.acquire().await.expect("connection");
        sqlx::query(sql).execute(&mut *conn).await.expect("exec");
    }
}

pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("fv_session=").map(|rest| rest.split(';').next().unwrap_or("").to_owned()))
}

/// Asserts an error response's status and stable code; returns the body.
pub async fn assert_error(response: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "expected {status} {code}");
    let body: serde_json::Value = response.json().await.expect("JSON error body");
    assert_eq!(body["code"], code, "body: {body}");
    assert!(body["message"].is_string());
    body
}
