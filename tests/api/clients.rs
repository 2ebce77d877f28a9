//! Service accounts are separated: a client sees, uses and replays only what it created (404 across clients).
//! The issue: a second onboarding key read, verified with and withdrew consents created through the first, and
//! replayed its idempotency keys.

use faceverify::policy::Role;
use reqwest::RequestBuilder;
use serde_json::Value;

use crate::helpers::{assert_error, face, form, meta, require_shared, spawn_app, tiny_jpeg, TestApp};

/// A second onboarding client's API key.
async fn second_client(app: &TestApp) -> String {
    let key = faceverify::auth::create_service_account(&app.store, "onboarding-b").await.expect("second client");
    key.plaintext.to_string()
}

fn as_client(request: RequestBuilder, key: &str) -> RequestBuilder {
    request.bearer_auth(key).header("X-Purpose", "identification")
}

async fn verify_as(app: &TestApp, key: &str, meta: &str, idempotency_key: &str) -> reqwest::Response {
    as_client(app.client.post(app.url("/v1/verifications")), key)
        .header("Idempotency-Key", idempotency_key)
        .multipart(form(tiny_jpeg(), tiny_jpeg(), meta))
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn another_client_cannot_read_use_or_withdraw_a_consent() {
    let app = spawn_app().await;
    let other = second_client(&app).await;
    let consent = app.consent("APP-CLIENT-1").await;
    let path = format!("/v1/consents/{consent}");
    let read = as_client(app.client.get(app.url(&path)), &other).send().await.expect("request");
    let foreign = assert_error(read, 404, "not_found").await;
    let missing = as_client(app.client.get(app.url(&format!("/v1/consents/{}", uuid::Uuid::new_v4()))), &other);
    let missing = assert_error(missing.send().await.expect("request"), 404, "not_found").await;
    assert_eq!(foreign, missing, "another client's consent reads exactly as one that does not exist");
    let withdraw = as_client(app.client.delete(app.url(&path)), &other).send().await.expect("request");
    assert_error(withdraw, 404, "not_found").await;
    let used = verify_as(&app, &other, &meta("APP-CLIENT-1", &consent), "k-1").await;
    assert_error(used, 403, "consent_required").await;
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM consents WHERE withdrawn_at IS NULL").await, 1, "still active");
    // Its own client and staff still see it.
    assert_eq!(app.get_as_client(&path).await.status().as_u16(), 200);
    let dpo = app.staff_session("dpo.clients", Role::Dpo).await;
    let staff_read = app.client.get(app.url(&path)).bearer_auth(&dpo).header("X-Purpose", "identification");
    assert_eq!(staff_read.send().await.expect("request").status().as_u16(), 200);
}

#[tokio::test]
async fn verifications_and_idempotency_keys_belong_to_their_client() {
    let app = spawn_app().await;
    let other = second_client(&app).await;
    let first = verify_as(&app, &app.api_key, &app.consented_meta("APP-CLIENT-2").await, "shared-key").await;
    assert_eq!(first.status().as_u16(), 201);
    let first: Value = first.json().await.expect("json");
    let path = format!("/v1/verifications/{}", first["verification_id"].as_str().expect("id"));
    let read = as_client(app.client.get(app.url(&path)), &other).send().await.expect("request");
    let foreign = assert_error(read, 404, "not_found").await;
    let missing = as_client(app.client.get(app.url(&format!("/v1/verifications/{}", uuid::Uuid::new_v4()))), &other);
    let missing = assert_error(missing.send().await.expect("request"), 404, "not_found").await;
    assert_eq!(foreign, missing, "another client's verification reads exactly as one that does not exist");
    assert_eq!(app.get_as_client(&path).await.status().as_u16(), 200, "its own client reads it");

    // The same key from the other client is a new request of that client: neither a replay nor a conflict.
    let consent = as_client(app.client.post(app.url("/v1/consents")), &other)
        .json(&serde_json::json!({
            "subject_ref": "APP-CLIENT-3", "channel": "checkbox", "text_version": "2026-03-17", "cross_border": false
        }))
        .send()
        .await
        .expect("request");
    let consent: Value = consent.json().await.expect("json");
    let own_meta = meta("APP-CLIENT-3", consent["consent_id"].as_str().expect("consent id"));
    let second = verify_as(&app, &other, &own_meta, "shared-key").await;
    assert_eq!(second.status().as_u16(), 201, "not a replay of the first client's request");
    let second: Value = second.json().await.expect("json");
    assert_ne!(second["verification_id"], first["verification_id"]);
    let replay = verify_as(&app, &other, &own_meta, "shared-key").await;
    assert_eq!(replay.status().as_u16(), 200, "its own key replays");
    assert_eq!(replay.json::<Value>().await.expect("json")["verification_id"], second["verification_id"]);
}

#[tokio::test]
async fn a_replay_after_consent_withdrawal_is_refused() {
    let app = spawn_app().await;
    let consent = app.consent("APP-CLIENT-4").await;
    let meta = meta("APP-CLIENT-4", &consent);
    assert_eq!(verify_as(&app, &app.api_key, &meta, "k-4").await.status().as_u16(), 201);
    assert_eq!(verify_as(&app, &app.api_key, &meta, "k-4").await.status().as_u16(), 200, "replayed while consented");
    assert_eq!(app.withdraw_consent(&consent).await.status().as_u16(), 200);
    assert_error(verify_as(&app, &app.api_key, &meta, "k-4").await, 403, "consent_required").await;
}

#[tokio::test]
async fn another_clients_withdrawal_for_the_same_applicant_leaves_the_enrolment_alone() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let other = second_client(&app).await;
    let photo = |n: &str| face(&shared, &format!("images/deepface/{n}"));
    let ours = app.consent("APP-SHARED-1").await;
    let enrolled =
        app.post_verification(form(photo("img20.jpg"), photo("img21.jpg"), &meta("APP-SHARED-1", &ours))).await;
    assert_eq!(enrolled.status().as_u16(), 201);
    let templates = "SELECT COUNT(*) FROM templates WHERE subject_ref = 'APP-SHARED-1'";
    assert_eq!(app.sql_count(templates).await, 1);
    // The other client records and withdraws its own consent for the same applicant reference.
    let theirs = as_client(app.client.post(app.url("/v1/consents")), &other)
        .json(&serde_json::json!({
            "subject_ref": "APP-SHARED-1", "channel": "checkbox", "text_version": "2026-03-17", "cross_border": false
        }))
        .send()
        .await
        .expect("request");
    let theirs = theirs.json::<Value>().await.expect("json")["consent_id"].as_str().expect("id").to_owned();
    let withdrawn = as_client(app.client.delete(app.url(&format!("/v1/consents/{theirs}"))), &other);
    let body: Value = withdrawn.send().await.expect("request").json().await.expect("json");
    assert_eq!(body["withdrawn"], true);
    assert!(body.get("templates_destroyed").is_none(), "no hint of what another client enrolled: {body}");
    assert_eq!(app.sql_count(templates).await, 1, "our consent still stands: the enrolment stays");
    // Our own withdrawal, the last active consent, erases it.
    assert_eq!(app.withdraw_consent(&ours).await.status().as_u16(), 200);
    assert_eq!(app.sql_count(templates).await, 0);
}
