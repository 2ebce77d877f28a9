//! Liveness sessions over HTTP, without the frame analysis: who may open one, what the capture token opens, what
//! an attempt must carry before it uses an attempt, when a session is closed, which session a verification may use,
//! and that sessions are erased with their subject. (Attempts analysed on real photos: `liveness_attempts`.)

use faceverify::policy::Role;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{assert_error, form, meta, spawn_app, spawn_app_with, tiny_jpeg, TestApp};

/// Opens a session for `subject` as the onboarding client (201); returns the answer.
pub async fn open_session(app: &TestApp, subject: &str, consent: &str) -> Value {
    let response = app
        .client
        .post(app.url("/v1/liveness/sessions"))
        .bearer_auth(&app.api_key)
        .json(&serde_json::json!({"applicant_ref": subject, "consent_ref": consent}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 201, "session opened");
    response.json().await.expect("json")
}

pub fn capture(app: &TestApp, method: reqwest::Method, path: &str, token: &str) -> reqwest::RequestBuilder {
    app.client.request(method, app.url(path)).header("Authorization", format!("Capture {token}"))
}

/// A multipart attempt of `frames` (JPEG bytes, capture time in ms).
pub fn frames_form(frames: Vec<(u32, Vec<u8>)>) -> Form {
    frames.into_iter().fold(Form::new(), |form, (at, jpeg)| {
        form.part("frame", Part::bytes(jpeg).file_name(format!("{at}.jpg")).mime_str("image/jpeg").expect("mime"))
    })
}

#[tokio::test]
async fn a_session_needs_an_onboarding_key_and_the_applicants_own_consent() {
    let app = spawn_app().await;
    let consent = app.consent("APP-L1").await;
    let url = app.url("/v1/liveness/sessions");
    let body = serde_json::json!({"applicant_ref": "APP-L1", "consent_ref": consent});
    let anonymous = app.client.post(&url).json(&body).send().await.expect("request");
    assert_error(anonymous, 401, "unauthenticated").await;
    let analyst = app.staff_session("anna", Role::FraudAnalyst).await;
    let staff = app.client.post(&url).bearer_auth(&analyst).json(&body).send().await.expect("request");
    assert_error(staff, 403, "forbidden").await;
    let as_client = |body: Value| app.client.post(&url).bearer_auth(&app.api_key).json(&body);
    let other = as_client(serde_json::json!({"applicant_ref": "APP-L2", "consent_ref": consent}));
    assert_error(other.send().await.expect("request"), 403, "consent_required").await;
    let purpose =
        as_client(serde_json::json!({"applicant_ref": "APP-L1", "consent_ref": consent, "purpose": "marketing"}));
    assert_error(purpose.send().await.expect("request"), 403, "purpose_not_permitted").await;
    let unknown = as_client(serde_json::json!({"applicant_ref": "APP-L1", "consent_ref": consent, "extra": 1}));
    assert_eq!(unknown.send().await.expect("request").status().as_u16(), 400);

    let session = open_session(&app, "APP-L1", &consent).await;
    let challenges = session["challenges"].as_array().expect("challenges");
    assert!(challenges.len() >= 3, "at least three actions: {session}");
    assert!(session["flashes"].as_array().expect("flashes").len() >= 3);
    let token = session["capture_token"].as_str().expect("token");
    assert_eq!(token.len(), 64);
    let id = session["session_id"].as_str().expect("id");
    assert_eq!(session["capture_url"], format!("/capture/{id}#token={token}"));
    assert_eq!(session["attempts_left"], 3);
    assert!(!serde_json::to_string(&session).expect("json").contains("APP-L1"), "no reference echoed");
    let stored = app.sql_count(&format!("SELECT COUNT(*) FROM liveness_sessions WHERE token_hash = '{token}'")).await;
    assert_eq!(stored, 0, "only the token's hash is stored");
    let audited = app.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'create_liveness_session'").await;
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn the_challenge_opens_only_with_the_sessions_own_token() {
    let app = spawn_app().await;
    let consent = app.consent("APP-L3").await;
    let one = open_session(&app, "APP-L3", &consent).await;
    let two = open_session(&app, "APP-L3", &consent).await;
    let path = |s: &Value| format!("/v1/liveness/sessions/{}/challenge", s["session_id"].as_str().expect("id"));
    let token = |s: &Value| s["capture_token"].as_str().expect("token").to_owned();
    let get = reqwest::Method::GET;
    let ok = capture(&app, get.clone(), &path(&one), &token(&one)).send().await.expect("request");
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(ok.headers()["cache-control"], "no-store");
    let body: Value = ok.json().await.expect("json");
    assert_eq!(body["challenges"], one["challenges"]);
    assert_eq!(body["flashes"], one["flashes"]);
    for (path, token) in [
        (path(&one), token(&two)),
        (path(&one), "0".repeat(64)),
        (format!("/v1/liveness/sessions/{}/challenge", uuid::Uuid::new_v4()), token(&one)),
    ] {
        let refused = capture(&app, get.clone(), &path, &token).send().await.expect("request");
        assert_error(refused, 401, "unauthenticated").await;
    }
    let bare = app.client.get(app.url(&path(&one))).bearer_auth(&app.api_key).send().await.expect("request");
    assert_error(bare, 401, "unauthenticated").await;
    let malformed = capture(&app, get, "/v1/liveness/sessions/not-a-uuid/challenge", &token(&one));
    assert_error(malformed.send().await.expect("request"), 404, "not_found").await;
}

#[tokio::test]
async fn frames_that_cannot_make_an_attempt_are_refused_without_using_one() {
    let app = spawn_app().await;
    let consent = app.consent("APP-L4").await;
    let session = open_session(&app, "APP-L4", &consent).await;
    let id = session["session_id"].as_str().expect("id");
    let token = session["capture_token"].as_str().expect("token");
    let path = format!("/v1/liveness/sessions/{id}/frames");
    let post = reqwest::Method::POST;
    let few = frames_form((0..3).map(|i| (i * 100, tiny_jpeg())).collect());
    let refused = capture(&app, post.clone(), &path, token).multipart(few).send().await.expect("request");
    assert_error(refused, 400, "invalid_frames").await;
    let unnamed = Form::new().part("frame", Part::bytes(tiny_jpeg()).file_name("first.jpg"));
    let refused = capture(&app, post.clone(), &path, token).multipart(unnamed).send().await.expect("request");
    assert_error(refused, 400, "invalid_frames").await;
    let other = Form::new().part("selfie", Part::bytes(tiny_jpeg()).file_name("0.jpg"));
    let refused = capture(&app, post.clone(), &path, token).multipart(other).send().await.expect("request");
    assert_error(refused, 400, "unexpected_field").await;
    let json = capture(&app, post.clone(), &path, token).json(&serde_json::json!({})).send().await.expect("request");
    assert_error(json, 415, "unsupported_media_type").await;
    let many = frames_form((0..101).map(|i| (i * 100, tiny_jpeg())).collect());
    let refused = capture(&app, post.clone(), &path, token).multipart(many).send().await.expect("request");
    assert_error(refused, 400, "invalid_frames").await;
    let wrong = capture(&app, post, &path, &"1".repeat(64)).multipart(frames_form(vec![(0, tiny_jpeg())]));
    assert_error(wrong.send().await.expect("request"), 401, "unauthenticated").await;
    let challenge = capture(&app, reqwest::Method::GET, &format!("/v1/liveness/sessions/{id}/challenge"), token);
    let body: Value = challenge.send().await.expect("request").json().await.expect("json");
    assert_eq!(body["attempts_left"], 3, "no attempt was used: {body}");
}

#[tokio::test]
async fn an_expired_session_is_closed() {
    let app = spawn_app_with(|s| s.liveness.session_ttl_secs = 1).await;
    let consent = app.consent("APP-L5").await;
    let session = open_session(&app, "APP-L5", &consent).await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let id = session["session_id"].as_str().expect("id");
    let token = session["capture_token"].as_str().expect("token");
    let path = format!("/v1/liveness/sessions/{id}/challenge");
    let closed = capture(&app, reqwest::Method::GET, &path, token).send().await.expect("request");
    assert_error(closed, 410, "liveness_session_closed").await;
    let path = format!("/v1/liveness/sessions/{id}/frames");
    let frames = frames_form((0..12).map(|i| (i * 100, tiny_jpeg())).collect());
    let closed = capture(&app, reqwest::Method::POST, &path, token).multipart(frames).send().await.expect("request");
    assert_error(closed, 410, "liveness_session_closed").await;
}

fn session_form(session: &str, meta: &str) -> Form {
    Form::new()
        .part("liveness_session_id", Part::text(session.to_owned()))
        .part("document", Part::bytes(tiny_jpeg()).file_name("document.jpg").mime_str("image/jpeg").expect("mime"))
        .part("meta", Part::text(meta.to_owned()).mime_str("application/json").expect("mime"))
}

#[tokio::test]
async fn a_verification_uses_only_a_passed_session_of_its_own_applicant() {
    let app = spawn_app().await;
    let consent = app.consent("APP-L6").await;
    let session = open_session(&app, "APP-L6", &consent).await;
    let id = session["session_id"].as_str().expect("id");
    let meta = meta("APP-L6", &consent);
    let open = app.post_verification(session_form(id, &meta)).await;
    assert_error(open, 409, "liveness_session_not_usable").await;
    let unknown = app.post_verification(session_form(&uuid::Uuid::new_v4().to_string(), &meta)).await;
    assert_error(unknown, 409, "liveness_session_not_usable").await;
    let malformed = app.post_verification(session_form("session-1", &meta)).await;
    assert_error(malformed, 400, "invalid_request").await;
    let both = form(tiny_jpeg(), tiny_jpeg(), &meta).part("liveness_session_id", Part::text(id.to_owned()));
    assert_error(app.post_verification(both).await, 400, "unexpected_field").await;
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM verifications").await, 0);
}

#[tokio::test]
async fn with_sessions_required_a_still_selfie_is_refused() {
    let app = spawn_app_with(|s| s.liveness.require_session = true).await;
    let meta = app.consented_meta("APP-L7").await;
    let still = app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await;
    assert_error(still, 422, "liveness_session_required").await;
}

#[tokio::test]
async fn sessions_are_erased_with_their_subject() {
    let app = spawn_app().await;
    let consent = app.consent("APP-L8").await;
    open_session(&app, "APP-L8", &consent).await;
    let dpo = app.staff_session("dora", Role::Dpo).await;
    let residue = app.staff_json(&dpo, reqwest::Method::GET, "/v1/subjects/APP-L8/residue").await;
    assert_eq!(residue["residue"]["liveness_sessions"], 1, "{residue}");
    app.staff_json(&dpo, reqwest::Method::DELETE, "/v1/subjects/APP-L8").await;
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM liveness_sessions").await, 0);
    let residue = app.staff_json(&dpo, reqwest::Method::GET, "/v1/subjects/APP-L8/residue").await;
    assert_eq!(residue["residue"]["liveness_sessions"], 0, "{residue}");
}
