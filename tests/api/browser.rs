//! Real headless Chromium for the browser tests (Debian's chromium + chromium-driver, installed by .ci/run):
//! chromedriver killed on drop, a session with optional extra switches, screenshots under
//! target/tmp/console-screenshots/.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// Chromedriver, killed on drop.
pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn browser_available() -> bool {
    if Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but {CHROMIUM} / {CHROMEDRIVER} are missing (.ci/run installs chromium and chromium-driver)");
    }
    eprintln!(
        "SKIPPED: the browser test needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)"
    );
    false
}

/// Chromium under chromedriver with its profile in `profile`; `extra` adds command-line switches (a fake camera).
pub async fn start_browser_with(profile: &Path, extra: &[String]) -> (Driver, Client) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(child);
    let mut args: Vec<String> = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1100,900",
    ]
    .map(String::from)
    .to_vec();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.extend_from_slice(extra);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": args
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    for _ in 0..50 {
        if let Ok(client) = ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            return (driver, client);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("could not start a browser session through chromedriver");
}

pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

pub async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(name), png).expect("write screenshot");
}

pub async fn start_browser(profile: &Path) -> (Driver, Client) {
    start_browser_with(profile, &[]).await
}

/// Creates staff account `username` with `role` and signs it in through the console's login form (password and the
/// authenticator's current code).
pub async fn sign_in(c: &Client, app: &crate::helpers::TestApp, username: &str, role: faceverify::policy::Role) {
    use fantoccini::Locator;
    let password = "correct horse battery staple";
    let totp =
        faceverify::auth::create_staff(&app.store, &app.kek, username, role, password).await.expect("staff account");
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    let code = totp.code_at(now / faceverify::auth::TOTP_STEP_SECS);
    c.goto(&app.url("/console")).await.expect("goto");
    c.find(Locator::Id("username")).await.expect("login form").send_keys(username).await.expect("type");
    c.find(Locator::Id("password")).await.expect("password").send_keys(password).await.expect("type");
    c.find(Locator::Id("totp")).await.expect("totp").send_keys(&code).await.expect("type");
    c.find(Locator::Id("sign-in")).await.expect("button").click().await.expect("click");
}
