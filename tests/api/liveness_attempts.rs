//! Liveness attempts analysed on real photos through the API. The clips are synthesised from one real photo of
//! ../shared (`faceverify::liveness::synth`: head poses by a warp, the screen's light by a tint; see its header for
//! what a lender must re-measure on real captures). A clip of the drawn challenge passes and its best frame becomes a
//! verification's selfie, once; frames sent before are a replay wherever they come from; three failed attempts end
//! the session with a negative result, a case and a security event.

use std::sync::{Arc, Mutex, OnceLock};

use faceverify::liveness::synth::{self, Options, Subject};
use faceverify::liveness::{Action, Challenge, Flash};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{assert_error, document_photo, face, meta, pool, require_shared, spawn_app, TestApp};
use crate::liveness_sessions::{capture, frames_form, open_session};

/// The default photo's subject, prepared once (detection on a worker).
async fn subject(shared: &std::path::Path) -> Arc<Subject> {
    static SUBJECT: OnceLock<Mutex<Option<Arc<Subject>>>> = OnceLock::new();
    if let Some(s) = SUBJECT.get_or_init(|| Mutex::new(None)).lock().expect("lock").clone() {
        return s;
    }
    let photo = face(shared, synth::DEFAULT_PHOTO);
    let prepared = pool().run(move |p| Subject::prepare(p, &photo).expect("subject")).await.expect("pool");
    let prepared = Arc::new(prepared);
    *SUBJECT.get_or_init(|| Mutex::new(None)).lock().expect("lock") = Some(prepared.clone());
    prepared
}

/// The challenge a session answer carries.
pub fn challenge_of(session: &Value) -> Challenge {
    let actions: Vec<Action> = serde_json::from_value(session["challenges"].clone()).expect("challenges");
    let flashes: Vec<Flash> = serde_json::from_value(session["flashes"].clone()).expect("flashes");
    Challenge { actions, flashes }
}

/// The clip's frames as the API takes them.
fn upload(clip: &[synth::SynthFrame]) -> Vec<(u32, Vec<u8>)> {
    synth::encode(clip).expect("encode").into_iter().map(|f| (f.at_ms, f.jpeg.to_vec())).collect()
}

async fn attempt(app: &TestApp, session: &Value, frames: Vec<(u32, Vec<u8>)>) -> Value {
    let id = session["session_id"].as_str().expect("id");
    let token = session["capture_token"].as_str().expect("token");
    let response = capture(app, reqwest::Method::POST, &format!("/v1/liveness/sessions/{id}/frames"), token)
        .multipart(frames_form(frames))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200, "attempt answered");
    response.json().await.expect("json")
}

fn session_verification(session: &str, document: Vec<u8>, meta: &str) -> Form {
    Form::new()
        .part("liveness_session_id", Part::text(session.to_owned()))
        .part("document", Part::bytes(document).file_name("document.jpg").mime_str("image/jpeg").expect("mime"))
        .part("meta", Part::text(meta.to_owned()).mime_str("application/json").expect("mime"))
}

#[tokio::test]
async fn a_clip_of_the_drawn_challenge_passes_and_its_frame_is_the_selfie_once() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let consent = app.consent("APP-LA1").await;
    let session = open_session(&app, "APP-LA1", &consent).await;
    let subject = subject(&shared).await;
    let clip = synth::genuine(&subject, &challenge_of(&session), &Options::default());
    let answer = attempt(&app, &session, upload(&clip)).await;
    assert_eq!(answer, serde_json::json!({"result": "live", "attempts_left": 0}), "no score, no reason");
    let id = session["session_id"].as_str().expect("id");
    // Another photo of the same person (deepface P07), photographed as an ID card.
    let card = document_photo::photographed(&face(&shared, "images/deepface/img21.jpg"), 5).expect("card");
    let meta = meta("APP-LA1", &consent);
    let response = app.post_verification(session_verification(id, card.clone(), &meta)).await;
    assert_eq!(response.status().as_u16(), 201);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["decision"], "match", "{body}");
    assert_eq!(body["liveness"], "live");
    assert_eq!(body["reasons"], serde_json::json!(["faces_match"]), "no passive_liveness_only: {body}");
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM liveness_sessions WHERE best_frame IS NOT NULL").await, 0);
    let again = app.post_verification(session_verification(id, card, &meta)).await;
    assert_error(again, 409, "liveness_session_not_usable").await;
    // The session is closed for attempts too.
    let token = session["capture_token"].as_str().expect("token");
    let closed = capture(&app, reqwest::Method::GET, &format!("/v1/liveness/sessions/{id}/challenge"), token);
    assert_error(closed.send().await.expect("request"), 410, "liveness_session_closed").await;
    let audited = app.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'liveness_attempt'").await;
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn another_applicant_cannot_use_a_passed_session() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let consent = app.consent("APP-LA2").await;
    let session = open_session(&app, "APP-LA2", &consent).await;
    let subject = subject(&shared).await;
    let clip = synth::genuine(&subject, &challenge_of(&session), &Options::default());
    assert_eq!(attempt(&app, &session, upload(&clip)).await["result"], "live");
    let id = session["session_id"].as_str().expect("id");
    let card = document_photo::photographed(&face(&shared, "images/deepface/img21.jpg"), 5).expect("card");
    let other = app.consented_meta("APP-LA3").await;
    let refused = app.post_verification(session_verification(id, card, &other)).await;
    assert_error(refused, 409, "liveness_session_not_usable").await;
}

#[tokio::test]
async fn frames_sent_before_are_a_replay_and_three_failures_end_the_session() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let consent = app.consent("APP-LA4").await;
    let first = open_session(&app, "APP-LA4", &consent).await;
    let subject = subject(&shared).await;
    let recorded = upload(&synth::genuine(&subject, &challenge_of(&first), &Options::default()));
    assert_eq!(attempt(&app, &first, recorded.clone()).await["result"], "live");
    // The recording of the passed session, replayed into a new session with the same challenge drawn or not: the
    // frames were seen, so the attempt fails whatever the analysis says.
    let second = open_session(&app, "APP-LA4", &consent).await;
    let answer = attempt(&app, &second, recorded.clone()).await;
    assert_eq!(answer, serde_json::json!({"result": "retry", "attempts_left": 2}));
    // A still photo, twice more: the third failure ends the session.
    let still = upload(&synth::still(&subject, &challenge_of(&second), &Options::default()));
    assert_eq!(attempt(&app, &second, still.clone()).await["result"], "retry");
    let last = attempt(&app, &second, still).await;
    assert_eq!(last, serde_json::json!({"result": "failed", "attempts_left": 0}));
    let id = second["session_id"].as_str().expect("id");
    let token = second["capture_token"].as_str().expect("token");
    let closed = capture(&app, reqwest::Method::GET, &format!("/v1/liveness/sessions/{id}/challenge"), token);
    assert_error(closed.send().await.expect("request"), 410, "liveness_session_closed").await;
    // The negative result: a verification in review with its case (the best frame's crop sealed for the analyst),
    // and a security event that names no applicant.
    let sql = "SELECT COUNT(*) FROM verifications WHERE applicant_ref = 'APP-LA4' AND decision = 'review'
               AND reasons LIKE '%liveness_session_failed%'";
    assert_eq!(app.sql_count(sql).await, 1);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM cases WHERE subject_ref = 'APP-LA4'").await, 1);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM case_crops WHERE subject_ref = 'APP-LA4'").await, 1);
    let events = "SELECT COUNT(*) FROM security_events WHERE kind = 'liveness_attack' AND detail NOT LIKE '%APP-LA4%'";
    assert_eq!(app.sql_count(events).await, 1);
    let failures = app
        .sql_count(&format!(
            "SELECT COUNT(*) FROM liveness_sessions WHERE id = '{id}' AND failures LIKE '%frame_replayed%'
             AND failures LIKE '%static_media%' AND state = 'failed' AND attempts_used = 3"
        ))
        .await;
    assert_eq!(failures, 1, "each attempt's codes are kept for the analyst");
    // A failed session cannot stand in for a selfie.
    let card = document_photo::photographed(&face(&shared, "images/deepface/img21.jpg"), 5).expect("card");
    let refused = app.post_verification(session_verification(id, card, &meta("APP-LA4", &consent))).await;
    assert_error(refused, 409, "liveness_session_not_usable").await;
}

#[tokio::test]
async fn parallel_uploads_use_no_more_attempts_than_the_session_has() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let consent = app.consent("APP-LA5").await;
    let session = open_session(&app, "APP-LA5", &consent).await;
    let subject = subject(&shared).await;
    let still = upload(&synth::still(&subject, &challenge_of(&session), &Options::default()));
    let tries = (0..6).map(|_| {
        let id = session["session_id"].as_str().expect("id").to_owned();
        let token = session["capture_token"].as_str().expect("token").to_owned();
        let form = frames_form(still.clone());
        let request = capture(&app, reqwest::Method::POST, &format!("/v1/liveness/sessions/{id}/frames"), &token);
        async move { request.multipart(form).send().await.expect("request").status().as_u16() }
    });
    let statuses = futures_util::future::join_all(tries).await;
    let answered = statuses.iter().filter(|s| **s == 200).count();
    assert!(answered <= 3, "at most three attempts analysed: {statuses:?}");
    assert!(statuses.iter().all(|s| [200, 410, 503].contains(s)), "{statuses:?}");
    let used = app.sql_count("SELECT attempts_used FROM liveness_sessions").await;
    assert!(used <= 3, "{used} attempts used");
}
