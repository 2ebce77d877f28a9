//! The verification API end to end, on real photos through the real models.

use futures_util::future::join_all;
use serde_json::Value;

use crate::helpers::{face, form, require_shared, spawn_app, spawn_app_with};

const SAME_A: &str = "images/deepface/img20.jpg";
const SAME_B: &str = "images/deepface/img21.jpg";
const OTHER: &str = "images/deepface/img16.jpg";

async fn verify(app: &crate::helpers::TestApp, selfie: Vec<u8>, document: Vec<u8>) -> Value {
    let meta = app.consented_meta("APP-0001").await;
    let response = app.post_verification(form(selfie, document, &meta)).await;
    assert_eq!(response.status().as_u16(), 201);
    let location = response.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body: Value = response.json().await.expect("json");
    assert_eq!(location, Some(format!("/v1/verifications/{}", body["verification_id"].as_str().expect("id"))));
    body
}

fn assert_only_the_outcome(body: &Value) {
    let mut keys: Vec<&str> = body.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["decision", "liveness", "reasons", "verification_id"], "nothing beyond the outcome");
}

#[tokio::test]
async fn same_person_matches() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let body = verify(&app, face(&shared, SAME_A), face(&shared, SAME_B)).await;
    assert_eq!(body["decision"], "match", "{body}");
    assert_eq!(body["liveness"], "live");
    assert_eq!(body["reasons"], serde_json::json!(["faces_match", "passive_liveness_only"]));
    assert_only_the_outcome(&body);
}

#[tokio::test]
async fn different_people_do_not_match() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let body = verify(&app, face(&shared, SAME_A), face(&shared, OTHER)).await;
    assert_eq!(body["decision"], "no_match", "{body}");
    assert!(body["reasons"].as_array().expect("reasons").contains(&Value::from("faces_do_not_match")));
    assert_only_the_outcome(&body);
}

#[tokio::test]
async fn printed_photo_and_screen_replay_are_spoofs_sent_to_review() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let liveness = std::fs::read_to_string(shared.join("data/faces/liveness.csv")).expect("liveness.csv");
    let attacks: Vec<&str> = liveness
        .lines()
        .filter(|l| l.contains(",print (photo),") || l.contains(",replay (tablet screen),"))
        .map(|l| l.split(',').next().expect("img"))
        .collect();
    assert_eq!(attacks.len(), 2, "the print and replay samples of liveness.csv");
    for attack in attacks {
        let body = verify(&app, face(&shared, attack), face(&shared, SAME_A)).await;
        // The client learns nothing about what caught the attempt: an opaque review, or (these photos of photos
        // are also unusable) the same retake hints an honest unusable photo gets. Never `spoof`.
        assert_eq!(body["liveness"], "inconclusive", "{attack}: {body}");
        let reasons = body["reasons"].to_string();
        assert!(!reasons.contains("spoof") && !reasons.contains("liveness"), "{attack}: {body}");
        match body["decision"].as_str() {
            Some("review") => assert_eq!(body["reasons"], serde_json::json!(["under_review"]), "{attack}: {body}"),
            Some("rejected") => assert!(reasons.contains("selfie_") || reasons.contains("document_"), "{body}"),
            other => panic!("{attack}: {other:?}"),
        }
        // A human decides on suspected fraud: the stored verdict (analysts) says review and spoof.
        let id = body["verification_id"].as_str().expect("id");
        let stored = format!("SELECT COUNT(*) FROM verifications WHERE id = '{id}' AND decision = 'review' AND liveness = 'spoof' AND reasons LIKE '%spoof_suspected%'");
        assert_eq!(app.sql_count(&stored).await, 1, "{attack}: analysts see the spoof");
    }
}

#[tokio::test]
async fn a_stored_verification_reads_back_identically() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let created = verify(&app, face(&shared, SAME_A), face(&shared, SAME_B)).await;
    let id = created["verification_id"].as_str().expect("id");
    let response = app.get_as_client(&format!("/v1/verifications/{id}")).await;
    assert_eq!(response.status().as_u16(), 200);
    let read: Value = response.json().await.expect("json");
    assert_eq!(read, created);
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_not_found() {
    let app = spawn_app().await;
    let unknown = format!("/v1/verifications/{}", uuid::Uuid::new_v4());
    crate::helpers::assert_error(app.get_as_client(&unknown).await, 404, "not_found").await;
    crate::helpers::assert_error(app.get_as_client("/v1/verifications/not-a-uuid").await, 404, "not_found").await;
    crate::helpers::assert_error(app.get("/v1/nothing-here").await, 404, "not_found").await;
    crate::helpers::assert_error(app.get(&unknown).await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn idempotency_key_replays_and_refuses_reuse() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let meta = app.consented_meta("APP-0001").await;
    let post = |selfie: &str, key: &str| {
        let request = app
            .client
            .post(app.url("/v1/verifications"))
            .bearer_auth(&app.api_key)
            .header("Idempotency-Key", key)
            .multipart(form(face(&shared, selfie), face(&shared, SAME_B), &meta));
        async move { request.send().await.expect("request") }
    };
    let first = post(SAME_A, "key-1").await;
    assert_eq!(first.status().as_u16(), 201);
    let first: Value = first.json().await.expect("json");
    let again = post(SAME_A, "key-1").await;
    assert_eq!(again.status().as_u16(), 200, "a retry replays the stored result");
    assert_eq!(again.json::<Value>().await.expect("json"), first);
    crate::helpers::assert_error(post(OTHER, "key-1").await, 409, "idempotency_key_reused").await;
}

#[tokio::test]
async fn saturation_gives_503_with_retry_after_and_never_queues_without_bound() {
    let shared = require_shared!();
    let app = spawn_app_with(|s| s.models.max_in_flight = 1).await;
    let meta = app.consented_meta("APP-0001").await;
    let (selfie, document) = (face(&shared, SAME_A), face(&shared, SAME_B));
    let responses =
        join_all((0..8).map(|_| app.post_verification(form(selfie.clone(), document.clone(), &meta)))).await;
    let mut created = 0;
    let mut refused = 0;
    for r in responses {
        match r.status().as_u16() {
            201 => created += 1,
            503 => {
                assert!(r.headers().get("retry-after").is_some(), "503 carries Retry-After");
                crate::helpers::assert_error(r, 503, "overloaded").await;
                refused += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(created >= 1 && refused >= 1, "created {created}, refused {refused}");
}
