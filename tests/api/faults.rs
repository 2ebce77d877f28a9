//! Faults: a database held by another writer answers 503 with Retry-After and recovers by itself; a process killed
//! with SIGKILL in the middle of writes loses no acknowledged verification and leaves no half-written one.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{assert_error, form, spawn_app_with, tiny_jpeg, write_kek};

#[tokio::test]
async fn a_locked_database_gives_503_then_recovers() {
    let app = spawn_app_with(|s| s.database.busy_timeout_ms = 200).await;
    let consent = app.consent("APP-L").await;
    let mut blocker =
        sqlx::sqlite::SqliteConnectOptions::new().filename(&app.db_path).busy_timeout(Duration::from_millis(200));
    blocker = blocker.journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
    let mut conn = sqlx::ConnectOptions::connect(&blocker).await.expect("second connection");
    sqlx::query("BEGIN EXCLUSIVE").execute(&mut conn).await.expect("lock");
    let meta = crate::helpers::meta("APP-L", &consent);
    let blocked = app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await;
    assert!(blocked.headers().get("retry-after").is_some(), "503 tells when to retry");
    assert_error(blocked, 503, "service_unavailable").await;
    sqlx::query("COMMIT").execute(&mut conn).await.expect("unlock");
    let recovered = app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await;
    assert_eq!(recovered.status().as_u16(), 201, "recovers without a restart");
}

/// The real binary, serving on a free port against `dir`.
fn serve(dir: &std::path::Path, port: u16) -> Child {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    Command::new(env!("CARGO_BIN_EXE_faceverify"))
        .arg("serve")
        .env("FACEVERIFY__SERVER__PORT", port.to_string())
        .env("FACEVERIFY__DATABASE__URL", format!("sqlite://{}", dir.join("kill.db").display()))
        .env("FACEVERIFY__VAULT__KEK_FILE", dir.join("kek.key"))
        .env("FACEVERIFY__MODELS__DIR", root.join("models"))
        .env("FACEVERIFY__MODELS__WORKERS", "1")
        .env("FACEVERIFY__RETENTION__SWEEP_INTERVAL_SECS", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("faceverify serve")
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not become ready");
}

#[tokio::test]
async fn sigkill_mid_write_loses_no_acknowledged_verification() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_kek(&dir.path().join("kek.key"));
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut server = serve(dir.path(), port);
    wait_ready(&client, &base).await;
    let store = faceverify::store::Store::connect(&format!("sqlite://{}", dir.path().join("kill.db").display()))
        .await
        .expect("store");
    let key =
        faceverify::auth::create_service_account(&store, "onboarding").await.expect("account").plaintext.to_string();
    let consent: Value = client
        .post(format!("{base}/v1/consents"))
        .bearer_auth(&key)
        .header("X-Purpose", "identification")
        .json(&serde_json::json!({"subject_ref": "APP-K", "channel": "checkbox", "text_version": "v1", "cross_border": false}))
        .send()
        .await
        .expect("consent")
        .json()
        .await
        .expect("json");
    let meta = crate::helpers::meta("APP-K", consent["consent_id"].as_str().expect("id"));

    let mut acknowledged = Vec::new();
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..24 {
        let (client, base, key, meta) = (client.clone(), base.clone(), key.clone(), meta.clone());
        requests.spawn(async move {
            let response = client
                .post(format!("{base}/v1/verifications"))
                .bearer_auth(key)
                .multipart(form(tiny_jpeg(), tiny_jpeg(), &meta))
                .send()
                .await;
            match response {
                Ok(r) if r.status().as_u16() == 201 => {
                    r.json::<Value>().await.ok().and_then(|v| v["verification_id"].as_str().map(str::to_owned))
                }
                _ => None,
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    server.kill().expect("SIGKILL");
    let _ = server.wait();
    while let Some(done) = requests.join_next().await {
        acknowledged.extend(done.expect("task"));
    }

    let mut server = serve(dir.path(), port);
    wait_ready(&client, &base).await;
    for id in &acknowledged {
        let read = client
            .get(format!("{base}/v1/verifications/{id}"))
            .bearer_auth(&key)
            .header("X-Purpose", "identification")
            .send()
            .await
            .expect("get");
        assert_eq!(read.status().as_u16(), 200, "acknowledged verification {id} survived the kill");
    }
    let mut conn = store.acquire().await.expect("conn");
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM verifications").fetch_one(&mut *conn).await.expect("count");
    let audited: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'verify'")
        .fetch_one(&mut *conn)
        .await
        .expect("count");
    let cases: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases").fetch_one(&mut *conn).await.expect("count");
    drop(conn);
    assert_eq!(stored, audited, "no verification without its audit row");
    assert_eq!(stored, cases, "no verification without its case (each one here opens one)");
    assert!(stored >= acknowledged.len() as i64);
    let chain = faceverify::admin::verify_audit(&store).await.expect("verify");
    assert!(chain.intact, "{chain:?}");
    eprintln!("SIGKILL: {} acknowledged, {stored} stored, all intact", acknowledged.len());
    server.kill().expect("stop");
    let _ = server.wait();
}
