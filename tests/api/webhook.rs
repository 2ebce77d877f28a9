//! The case webhook: signed, retried after a failure, ids and codes only.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use faceverify::policy::Role;

use crate::helpers::{form, spawn_app_with, tiny_jpeg, TestApp};

const SECRET: &str = "webhook-secret-for-tests-0123";

/// Every request the receiver got: timestamp header, signature header, body.
pub type Seen = Arc<Mutex<Vec<(String, String, String)>>>;

/// A receiver on loopback that records every request, failing the first one when `fail_first`.
pub fn receiver(fail_first: bool) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let data = web::Data::new(seen.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let server = HttpServer::new(move || {
        App::new().app_data(data.clone()).route(
            "/hook",
            web::post().to(move |req: HttpRequest, body: String, seen: web::Data<Seen>| async move {
                let header = |h: &str| req.headers().get(h).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                let mut seen = seen.lock().expect("lock");
                seen.push((header("X-Faceverify-Timestamp"), header("X-Faceverify-Signature"), body));
                if fail_first && seen.len() == 1 {
                    HttpResponse::InternalServerError().finish()
                } else {
                    HttpResponse::Ok().finish()
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
    (url, seen)
}

/// The app with its webhook pointed at a fresh receiver, retrying fast.
async fn app_with_receiver() -> (TestApp, Seen) {
    let (url, seen) = receiver(true);
    let app = spawn_app_with(|s| {
        s.webhook.url = Some(url);
        s.webhook.secret = Some(SECRET.into());
        s.webhook.initial_backoff_ms = 50;
        s.webhook.poll_interval_ms = 20;
    })
    .await;
    (app, seen)
}

#[tokio::test]
async fn case_events_are_signed_retried_and_carry_no_personal_data() {
    let (app, seen) = app_with_receiver().await;
    let meta = app.consented_meta("APP-HOOK-7731").await;
    let v: serde_json::Value =
        app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await.json().await.expect("json");
    let analyst = app.staff_session("ana", Role::FraudAnalyst).await;
    let id = uuid::Uuid::parse_str(v["verification_id"].as_str().expect("id")).expect("uuid");
    let mut conn = app.store.acquire().await.expect("conn");
    let case = faceverify::store::cases::by_verification(&mut conn, id).await.expect("query").expect("case");
    drop(conn);
    let decided = app
        .client
        .post(app.url(&format!("/v1/cases/{}/decision", case.case_id)))
        .bearer_auth(&analyst)
        .header("X-Purpose", "anti_fraud")
        .json(&serde_json::json!({"outcome": "clear", "comment": "fine"}))
        .send()
        .await
        .expect("request");
    assert_eq!(decided.status().as_u16(), 200);

    // Up to 15 s: the retry waits out its back-off, and CI machines are busy.
    for _ in 0..750 {
        if seen.lock().expect("lock").len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 3, "opened (failed, retried) and decided");
    for (timestamp, signature, body) in &seen {
        let ts: i64 = timestamp.parse().expect("timestamp");
        assert_eq!(signature, &faceverify::notify::sign(SECRET.as_bytes(), ts, body), "valid HMAC-SHA256");
        assert!(!body.contains("APP-HOOK"), "no applicant reference in {body}");
        let event: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(event["case_id"], case.case_id.to_string());
    }
    assert_eq!(seen[0].2, seen[1].2, "the failed delivery was retried with the same event");
    let last: serde_json::Value = serde_json::from_str(&seen[2].2).expect("json");
    assert_eq!((last["event"].as_str(), last["outcome"].as_str()), (Some("case.decided"), Some("cleared")));
    // The worker marks an event delivered after the receiver has answered: give the last mark a moment.
    let mut pending = -1;
    for _ in 0..250 {
        pending = app.sql_count("SELECT COUNT(*) FROM webhook_outbox WHERE delivered_at IS NULL").await;
        if pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(pending, 0, "every event marked delivered");
}

#[tokio::test]
async fn security_events_are_alerted_once_signed_and_without_details() {
    let (app, seen) = app_with_receiver().await;
    faceverify::auth::create_staff(&app.store, &app.kek, "locked-target", Role::Auditor, "correct horse battery")
        .await
        .expect("staff");
    for _ in 0..5 {
        app.login("locked-target", "guess", "123456").await;
    }
    // The same kind of event raised outside the server (a CLI audit check) is alerted too.
    app.sql_exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1").await;
    assert!(!faceverify::cli::admin::verify_audit(&app.store).await.expect("verify").intact);

    // Up to 15 s: the retry waits out its back-off, and CI machines are busy.
    for _ in 0..750 {
        if seen.lock().expect("lock").len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 3, "two alerts, the first delivered after one failure: {seen:?}");
    let mut kinds = Vec::new();
    for (timestamp, signature, body) in &seen[1..] {
        let ts: i64 = timestamp.parse().expect("timestamp");
        assert_eq!(signature, &faceverify::notify::sign(SECRET.as_bytes(), ts, body), "valid HMAC-SHA256");
        assert!(!body.contains("locked-target") && !body.contains("mallory"), "no names in {body}");
        let alert: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(alert["event"], "security.event");
        assert!(alert["event_id"].is_i64() && alert["at"].is_string());
        kinds.push((
            alert["kind"].as_str().unwrap_or("").to_owned(),
            alert["severity"].as_str().unwrap_or("").to_owned(),
        ));
    }
    let expected = [("repeated_failed_logins", "warning"), ("audit_chain_break", "critical")];
    assert_eq!(kinds, expected.map(|(k, s)| (k.to_owned(), s.to_owned())));
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM security_events WHERE alerted_at IS NULL").await, 0);
}
