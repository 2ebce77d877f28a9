//! Faults: a database held by another writer answers 503 with Retry-After and recovers by itself; a process killed
//! with SIGKILL in the middle of writes loses no acknowledged verification and leaves no half-written one. Both on
//! whichever backend the suite runs against; and three replicas on PostgreSQL carry on when one is killed.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use sqlx::Connection;

use crate::helpers::{assert_error, form, spawn_app_with, tiny_jpeg, write_kek, TestDb};

/// Another client holding the lock every write takes first: SQLite's exclusive transaction, PostgreSQL's table lock.
enum Blocker {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Blocker {
    async fn hold(db: &TestDb) -> Self {
        match db {
            TestDb::Sqlite { path } => {
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .busy_timeout(Duration::from_millis(200))
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
                let mut conn = sqlx::ConnectOptions::connect(&options).await.expect("second connection");
                sqlx::query("BEGIN EXCLUSIVE").execute(&mut conn).await.expect("lock");
                Self::Sqlite(conn)
            }
            TestDb::Postgres { .. } => {
                let mut conn = sqlx::PgConnection::connect(&db.url()).await.expect("second connection");
                sqlx::query("BEGIN").execute(&mut conn).await.expect("begin");
                sqlx::query("LOCK TABLE audit_head IN ACCESS EXCLUSIVE MODE").execute(&mut conn).await.expect("lock");
                Self::Postgres(conn)
            }
        }
    }

    async fn release(self) {
        match self {
            Self::Sqlite(mut conn) => sqlx::query("COMMIT").execute(&mut conn).await.map(drop),
            Self::Postgres(mut conn) => sqlx::query("COMMIT").execute(&mut conn).await.map(drop),
        }
        .expect("unlock");
    }
}

#[tokio::test]
async fn a_locked_database_gives_503_then_recovers() {
    let app = spawn_app_with(|s| s.database.busy_timeout_ms = 200).await;
    let consent = app.consent("APP-L").await;
    let blocker = Blocker::hold(&app.db).await;
    let meta = crate::helpers::meta("APP-L", &consent);
    let blocked = app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await;
    assert!(blocked.headers().get("retry-after").is_some(), "503 tells when to retry");
    assert_error(blocked, 503, "service_unavailable").await;
    blocker.release().await;
    let recovered = app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await;
    assert_eq!(recovered.status().as_u16(), 201, "recovers without a restart");
}

/// Where the real binary runs: a directory holding its KEK, a free port and a fresh database.
struct Site {
    dir: tempfile::TempDir,
    port: u16,
    base: String,
    client: reqwest::Client,
    db: TestDb,
}

impl Site {
    async fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        write_kek(&dir.path().join("kek.key"));
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let db = TestDb::fresh(dir.path()).await;
        Self { dir, port, base: format!("http://127.0.0.1:{port}"), client: crate::helpers::client(), db }
    }
}

/// The real binary, serving on a free port against `database_url`, with its key in `dir`.
fn serve(dir: &std::path::Path, database_url: &str, port: u16) -> Child {
    serve_with(dir, database_url, port, &[], Stdio::null())
}

/// As `serve`, with `extra` environment (settings, RUST_LOG) and its standard output to `stdout`.
fn serve_with(dir: &std::path::Path, database_url: &str, port: u16, extra: &[(&str, &str)], stdout: Stdio) -> Child {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    Command::new(env!("CARGO_BIN_EXE_faceverify"))
        .arg("serve")
        .env("FACEVERIFY__SERVER__PORT", port.to_string())
        .env("FACEVERIFY__DATABASE__URL", database_url)
        .env("FACEVERIFY__VAULT__KEK_FILE", dir.join("kek.key"))
        .env("FACEVERIFY__MODELS__DIR", root.join("models"))
        .env("FACEVERIFY__MODELS__WORKERS", "1")
        .env("FACEVERIFY__RETENTION__SWEEP_INTERVAL_SECS", "0")
        .env("RUST_LOG", "warn")
        .envs(extra.iter().copied())
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .expect("faceverify serve")
}

/// The onboarding key (created in the database behind `base`) and a consented meta for `subject`.
async fn onboarding(
    client: &reqwest::Client,
    base: &str,
    dir: &std::path::Path,
    db: &TestDb,
    subject: &str,
) -> (String, String) {
    let kek = faceverify::vault::load(&dir.join("kek.key")).expect("kek");
    let store = faceverify::store::Store::connect(&db.url()).await.expect("store").unlock(&kek).await.expect("unlock");
    let key =
        faceverify::auth::create_service_account(&store, "onboarding").await.expect("account").plaintext.to_string();
    let meta = consented_meta(client, base, &key, subject).await;
    (key, meta)
}

/// The applicant's consent recorded through `base` with the onboarding `key`: the meta of a verification under it.
async fn consented_meta(client: &reqwest::Client, base: &str, key: &str, subject: &str) -> String {
    let consent: Value = client
        .post(format!("{base}/v1/consents"))
        .bearer_auth(key)
        .header("X-Purpose", "identification")
        .json(&serde_json::json!({"subject_ref": subject, "channel": "checkbox", "text_version": "v1", "cross_border": false}))
        .send()
        .await
        .expect("consent")
        .json()
        .await
        .expect("json");
    crate::helpers::meta(subject, consent["consent_id"].as_str().expect("id"))
}

/// A verification of two tiny photos (no face: quick, and each opens a case) through `base`: its id once stored,
/// the status of any other answer, `None` when no answer came (the process was killed).
async fn tiny_verification(client: &reqwest::Client, base: &str, key: &str, meta: &str) -> Option<Result<String, u16>> {
    let response = client
        .post(format!("{base}/v1/verifications"))
        .bearer_auth(key)
        .multipart(form(tiny_jpeg(), tiny_jpeg(), meta))
        .send()
        .await
        .ok()?;
    if response.status().as_u16() != 201 {
        return Some(Err(response.status().as_u16()));
    }
    let body: Value = response.json().await.ok()?;
    body["verification_id"].as_str().map(|id| Ok(id.to_owned()))
}

/// After a kill: every `acknowledged` verification reads back through `base`, every stored verification has its
/// case (each tiny one opens one) and its audit row, and the audit log verifies. Returns how many are stored.
async fn assert_stored_whole(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    store: &faceverify::store::Store,
    acknowledged: &[String],
) -> i64 {
    for id in acknowledged {
        let read = client
            .get(format!("{base}/v1/verifications/{id}"))
            .bearer_auth(key)
            .header("X-Purpose", "identification")
            .send()
            .await
            .expect("get");
        assert_eq!(read.status().as_u16(), 200, "acknowledged verification {id} survived the kill");
    }
    let mut conn = store.acquire().await.expect("conn");
    let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql);
    let stored = count("SELECT COUNT(*) FROM verifications").fetch_one(&mut *conn).await.expect("count");
    let audited =
        count("SELECT COUNT(*) FROM audit_log WHERE action = 'verify'").fetch_one(&mut *conn).await.expect("count");
    let cases = count("SELECT COUNT(*) FROM cases").fetch_one(&mut *conn).await.expect("count");
    drop(conn);
    assert_eq!(stored, audited, "no verification without its audit row");
    assert_eq!(stored, cases, "no verification without its case (each one here opens one)");
    assert!(stored >= acknowledged.len() as i64);
    let chain = faceverify::cli::admin::verify_audit(store).await.expect("verify");
    assert!(chain.intact, "{chain:?}");
    stored
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
    let Site { dir, port, base, client, db } = Site::new().await;
    let mut server = serve(dir.path(), &db.url(), port);
    wait_ready(&client, &base).await;
    let (key, meta) = onboarding(&client, &base, dir.path(), &db, "APP-K").await;
    let kek = faceverify::vault::load(&dir.path().join("kek.key")).expect("kek");
    let store = faceverify::store::Store::connect(&db.url()).await.expect("store").unlock(&kek).await.expect("unlock");

    let mut acknowledged = Vec::new();
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..24 {
        let (client, base, key, meta) = (client.clone(), base.clone(), key.clone(), meta.clone());
        requests.spawn(async move { tiny_verification(&client, &base, &key, &meta).await.and_then(Result::ok) });
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    server.kill().expect("SIGKILL");
    let _ = server.wait();
    while let Some(done) = requests.join_next().await {
        acknowledged.extend(done.expect("task"));
    }

    let mut server = serve(dir.path(), &db.url(), port);
    wait_ready(&client, &base).await;
    let stored = assert_stored_whole(&client, &base, &key, &store, &acknowledged).await;
    eprintln!("SIGKILL: {} acknowledged, {stored} stored, all intact", acknowledged.len());
    server.kill().expect("stop");
    let _ = server.wait();
}

/// A TCP relay to the database that can be cut: while down it drops the relayed connections and refuses new ones.
struct Outage {
    addr: std::net::SocketAddr,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Outage {
    async fn relay_to(target: String) -> Self {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("relay port");
        let addr = listener.local_addr().expect("relay addr");
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let links = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (up_in, links_in) = (up.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up_in.load(Ordering::SeqCst) {
                    continue; // dropped: connection refused in effect
                }
                let target = target.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                links_in.lock().expect("links").push(link.abort_handle());
            }
        });
        Self { addr, up, links }
    }

    fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for link in self.links.lock().expect("links").drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test]
async fn an_unreachable_postgres_gives_503_then_recovers() {
    let Some(server) = crate::helpers::database::postgres_server() else {
        eprintln!("not applicable: the SQLite pass has no database server to lose (the PostgreSQL pass runs this)");
        return;
    };
    let server = reqwest::Url::parse(&server).expect("FACEVERIFY_TEST_POSTGRES is a URL");
    let target = format!("{}:{}", server.host_str().unwrap_or("127.0.0.1"), server.port().unwrap_or(5432));
    let outage = Outage::relay_to(target).await;
    let relay = outage.addr;
    let app = spawn_app_with(move |s| {
        let mut url = reqwest::Url::parse(&s.database.url).expect("database url");
        url.set_host(Some(&relay.ip().to_string())).expect("host");
        url.set_port(Some(relay.port())).expect("port");
        s.database.url = url.to_string();
        s.database.busy_timeout_ms = 500;
    })
    .await;
    let meta = app.consented_meta("APP-U").await;
    assert_eq!(app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await.status().as_u16(), 201);

    outage.cut();
    for _ in 0..3 {
        let down = app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await;
        assert!(down.headers().get("retry-after").is_some(), "503 tells when to retry");
        assert_error(down, 503, "service_unavailable").await;
    }
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status().as_u16(), 503, "not ready while the database is gone");

    outage.restore();
    let recovered = app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await;
    assert_eq!(recovered.status().as_u16(), 201, "recovers without a restart");
    assert_eq!(app.get("/readyz").await.status().as_u16(), 200);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM verifications").await, 2, "nothing half-written while down");
}

/// SIGTERM (a rolling restart) in the middle of verifications: every request already sent is answered, then the
/// process drains and joins its inference workers and exits cleanly (issue 15, item 4).
#[tokio::test]
async fn sigterm_answers_the_requests_in_flight_then_joins_the_workers() {
    let shared = crate::helpers::require_shared!();
    let Site { dir, port, base, client, db } = Site::new().await;
    let log = std::fs::File::create(dir.path().join("serve.log")).expect("log file");
    let extra = [
        ("FACEVERIFY__MODELS__MAX_IN_FLIGHT", "8"),
        ("FACEVERIFY__SERVER__MAX_UPLOADS_IN_FLIGHT", "8"),
        ("RUST_LOG", "info"),
    ];
    let mut server = serve_with(dir.path(), &db.url(), port, &extra, Stdio::from(log));
    wait_ready(&client, &base).await;
    let (key, meta) = onboarding(&client, &base, dir.path(), &db, "APP-T").await;
    let selfie = crate::helpers::face(&shared, "images/deepface/img20.jpg");
    // The card is made before any request is sent: making it takes longer than the wait before the signal.
    let portrait = crate::helpers::face(&shared, "images/deepface/img21.jpg");
    let document = crate::helpers::document_photo::photographed(&portrait, 1).expect("card");

    // One worker, six real verifications: most are queued or running when the signal arrives.
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let (client, base, key, meta) = (client.clone(), base.clone(), key.clone(), meta.clone());
        let (selfie, document) = (selfie.clone(), document.clone());
        requests.spawn(async move {
            let response = client
                .post(format!("{base}/v1/verifications"))
                .bearer_auth(key)
                .multipart(crate::helpers::raw_form(selfie, document, &meta))
                .send()
                .await;
            response.map(|r| r.status().as_u16()).unwrap_or(0)
        });
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let term = Command::new("kill").arg("-TERM").arg(server.id().to_string()).status().expect("kill -TERM");
    assert!(term.success());
    let mut statuses = Vec::new();
    while let Some(done) = requests.join_next().await {
        statuses.push(done.expect("task"));
    }
    let log = std::fs::read_to_string(dir.path().join("serve.log")).expect("log");
    assert_eq!(statuses, vec![201; 6], "every request sent before the signal is answered: {log}");
    let mut exited = None;
    for _ in 0..300 {
        if let Some(status) = server.try_wait().expect("wait") {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = exited.unwrap_or_else(|| {
        let _ = server.kill();
        let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default();
        panic!("still running 30 s after SIGTERM: {log}")
    });
    assert!(status.success(), "exit status {status}");
    let log = std::fs::read_to_string(dir.path().join("serve.log")).expect("log");
    assert!(log.contains("inference workers joined"), "the workers were drained and joined: {log}");
}

/// Three replicas as processes on one PostgreSQL database (issue 15): applicants verify through all three, one is
/// killed with SIGKILL in the middle, the other two carry on without a failure, every acknowledged verification is
/// stored with its case and audit row, the audit lanes the replicas appended on side by side all verify, and the
/// killed replica, started again, serves at once. SQLite is one process: the PostgreSQL pass runs this.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_carry_on_when_one_is_killed() {
    let Site { dir, port, base, client, db } = Site::new().await;
    if !db.url().starts_with("postgres") {
        eprintln!("SKIPPED: replicas as processes share PostgreSQL; the PostgreSQL pass runs this");
        return;
    }
    let free_port = || std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let ports = [port, free_port(), free_port()];
    let bases: Vec<String> = ports.iter().map(|p| format!("http://127.0.0.1:{p}")).collect();
    // Room for every request sent at once, so that the only refusals would be the kill's.
    let extra = [("FACEVERIFY__MODELS__MAX_IN_FLIGHT", "16"), ("FACEVERIFY__SERVER__MAX_UPLOADS_IN_FLIGHT", "16")];
    let start = |port: u16| serve_with(dir.path(), &db.url(), port, &extra, Stdio::null());
    let mut servers: Vec<Child> = ports.iter().map(|&p| start(p)).collect();
    for base in &bases {
        wait_ready(&client, base).await;
    }
    let (key, _) = onboarding(&client, &base, dir.path(), &db, "APP-R0").await;
    let mut metas = Vec::new();
    for i in 0..36 {
        metas.push(consented_meta(&client, &bases[i % 3], &key, &format!("APP-R{i}")).await);
    }
    let verify = |base: String, meta: String| {
        let (client, key) = (client.clone(), key.clone());
        async move {
            match tiny_verification(&client, &base, &key, &meta).await {
                Some(Err(status)) => panic!("a replica answered {status} to a verification"),
                answer => answer.and_then(Result::ok),
            }
        }
    };
    // Wave one through all three; replica 2 is killed while it runs.
    let mut wave = tokio::task::JoinSet::new();
    for (i, meta) in metas[..24].iter().enumerate() {
        wave.spawn(verify(bases[i % 3].clone(), meta.clone()));
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    servers[1].kill().expect("SIGKILL");
    let _ = servers[1].wait();
    let mut acknowledged = Vec::new();
    while let Some(done) = wave.join_next().await {
        acknowledged.extend(done.expect("task"));
    }
    // Wave two through the two left: every request answered.
    let mut wave = tokio::task::JoinSet::new();
    for (i, meta) in metas[24..].iter().enumerate() {
        wave.spawn(verify(bases[if i % 2 == 0 { 0 } else { 2 }].clone(), meta.clone()));
    }
    let mut carried = 0;
    while let Some(done) = wave.join_next().await {
        let id = done.expect("task").expect("the replicas left carry on");
        acknowledged.push(id);
        carried += 1;
    }
    assert_eq!(carried, 12);

    // The killed replica, started again, serves at once.
    servers[1] = start(ports[1]);
    wait_ready(&client, &bases[1]).await;
    let kek = faceverify::vault::load(&dir.path().join("kek.key")).expect("kek");
    let store = faceverify::store::Store::connect(&db.url()).await.expect("store").unlock(&kek).await.expect("unlock");
    let stored = assert_stored_whole(&client, &bases[1], &key, &store, &acknowledged).await;
    let mut conn = store.acquire().await.expect("conn");
    let lanes: i64 =
        sqlx::query_scalar("SELECT COUNT(DISTINCT lane) FROM audit_log").fetch_one(&mut *conn).await.expect("count");
    drop(conn);
    eprintln!(
        "three replicas, one killed: {} acknowledged, {stored} stored, audit rows on {lanes} lanes, all intact",
        acknowledged.len()
    );
    for server in &mut servers {
        let _ = server.kill();
        let _ = server.wait();
    }
}
