//! Anti-fraud: the 1:N duplicate search and the analysts' case workflow.

use faceverify::policy::Role;
use serde_json::Value;

use crate::helpers::{assert_error, face, form, require_shared, spawn_app, spawn_app_with, tiny_jpeg, TestApp};

async fn staff_get(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client.get(app.url(path)).bearer_auth(token).header("X-Purpose", "anti_fraud").send().await.expect("request")
}

async fn decide(app: &TestApp, token: &str, case: &str, outcome: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v1/cases/{case}/decision")))
        .bearer_auth(token)
        .header("X-Purpose", "anti_fraud")
        .json(&serde_json::json!({ "outcome": outcome, "comment": "checked the document security features" }))
        .send()
        .await
        .expect("request")
}

async fn case_of(app: &TestApp, token: &str, verification_id: &str) -> Value {
    let list: Value = staff_get(app, token, "/v1/cases?limit=200").await.json().await.expect("json");
    let item =
        list["items"].as_array().expect("items").iter().find(|c| c["verification_id"] == verification_id).cloned();
    let id = item.expect("a case for the verification")["case_id"].as_str().expect("id").to_owned();
    staff_get(app, token, &format!("/v1/cases/{id}")).await.json().await.expect("json")
}

#[tokio::test]
async fn a_reapplication_under_another_reference_is_flagged_for_review() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let p = |n: &str| face(&shared, &format!("images/deepface/{n}"));
    let first = app.verified("APP-A", p("img3.jpg"), p("img12.jpg")).await;
    assert_eq!(first["decision"], "match", "{first}");
    let second = app.verified("APP-B", p("img53.jpg"), p("img54.jpg")).await;
    assert_eq!(second["decision"], "review", "{second}");
    assert_eq!(second["reasons"], serde_json::json!(["under_review"]), "no oracle for an enrolled face: {second}");
    assert_eq!(
        second.as_object().expect("object").len(),
        4,
        "the client sees review, nothing about the other applicant"
    );
    let analyst = app.staff_session("ana", Role::FraudAnalyst).await;
    let case = case_of(&app, &analyst, second["verification_id"].as_str().expect("id")).await;
    assert!(case["reasons"].as_array().expect("reasons").contains(&Value::from("duplicate_identity")), "{case}");
    assert_eq!(case["duplicate_verification_id"], first["verification_id"]);
    assert!(case["duplicate_score"].as_f64().expect("score") >= 0.48);
    assert_eq!(case["status"], "open");
    let other = app.verified("APP-C", p("img20.jpg"), p("img21.jpg")).await;
    assert_eq!(other["decision"], "match", "a different person is no duplicate: {other}");
}

/// The same reapplication through a gallery that takes the 8-bit first pass from its first template: flagged, with
/// the exact f32 score of the other applicant's template.
#[tokio::test]
async fn an_8_bit_gallery_flags_the_same_reapplication_with_the_exact_score() {
    let shared = require_shared!();
    let app = spawn_app_with(|s| s.gallery.int8_from = 1).await;
    let p = |n: &str| face(&shared, &format!("images/deepface/{n}"));
    let first = app.verified("APP-A", p("img3.jpg"), p("img12.jpg")).await;
    let second = app.verified("APP-B", p("img53.jpg"), p("img54.jpg")).await;
    assert_eq!(second["decision"], "review", "{second}");
    let analyst = app.staff_session("ana", Role::FraudAnalyst).await;
    let case = case_of(&app, &analyst, second["verification_id"].as_str().expect("id")).await;
    assert!(case["reasons"].as_array().expect("reasons").contains(&Value::from("duplicate_identity")), "{case}");
    assert_eq!(case["duplicate_verification_id"], first["verification_id"]);
    let selfie = |n: &str| crate::helpers::selfie_embedding(p(n));
    let (a, b) = (selfie("img3.jpg").await, selfie("img53.jpg").await);
    let exact: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
    let stored = case["duplicate_score"].as_f64().expect("score");
    assert!((stored - f64::from(exact)).abs() < 1e-4, "re-scored in f32: {stored} against {exact}");
    let metrics = app.get("/metrics").await.text().await.expect("text");
    assert!(metrics.lines().any(|l| l == "faceverify_gallery_int8 1"), "{metrics}");
}

#[tokio::test]
async fn the_duplicate_bar_follows_the_configured_fpir_and_is_published() {
    let shared = require_shared!();
    let p = |n: &str| face(&shared, &format!("images/deepface/{n}"));
    let bar = |text: &str| {
        let line = text.lines().find(|l| l.starts_with("faceverify_duplicate_bar ")).expect("gauge").to_owned();
        line.rsplit(' ').next().expect("value").parse::<f64>().expect("number")
    };
    // Defaults: a tiny gallery is searched at the floor, duplicate_min.
    let app = spawn_app().await;
    assert!((bar(&app.get("/metrics").await.text().await.expect("text")) - 0.48).abs() < 1e-6);
    // A target no cosine below 1 meets (an unbounded tail, FPIR 1e-12): the bar is 1, the same person's other
    // photo under another reference is not flagged. The rule, not the floor, decides.
    let app = spawn_app_with(|s| {
        s.thresholds.duplicate_target_fpir = 1e-12;
        s.thresholds.impostor_tail.shape = 0.3;
    })
    .await;
    assert_eq!(app.verified("APP-A", p("img3.jpg"), p("img12.jpg")).await["decision"], "match");
    let second = app.verified("APP-B", p("img53.jpg"), p("img54.jpg")).await;
    assert_eq!(second["decision"], "match", "{second}");
    assert_eq!(bar(&app.get("/metrics").await.text().await.expect("text")), 1.0);
}

#[tokio::test]
async fn an_erased_subject_leaves_the_gallery_at_once() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let p = |n: &str| face(&shared, &format!("images/deepface/{n}"));
    let consent = app.consent("APP-A").await;
    let created =
        app.post_verification(form(p("img3.jpg"), p("img12.jpg"), &crate::helpers::meta("APP-A", &consent))).await;
    assert_eq!(created.status().as_u16(), 201);
    assert_eq!(app.withdraw_consent(&consent).await.status().as_u16(), 200);
    let again = app.verified("APP-B", p("img53.jpg"), p("img54.jpg")).await;
    assert_eq!(again["decision"], "match", "APP-A's template is gone from memory: {again}");
}

#[tokio::test]
async fn a_spoof_opens_a_case_whose_crops_analysts_can_see_and_clients_cannot() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let v = app
        .verified("APP-S", face(&shared, "images/silent_face/image_F1.jpg"), face(&shared, "images/deepface/img20.jpg"))
        .await;
    // The client sees no spoof (this photo of a photo is also unusable: it gets the retake hints); analysts do.
    assert_eq!(v["liveness"], "inconclusive", "{v}");
    assert!(!v["reasons"].to_string().contains("spoof"), "{v}");
    let analyst = app.staff_session("ana", Role::FraudAnalyst).await;
    let case = case_of(&app, &analyst, v["verification_id"].as_str().expect("id")).await;
    assert!(case["reasons"].as_array().expect("reasons").contains(&Value::from("spoof_suspected")));
    assert!(case["live_score"].as_f64().expect("score") < 0.4, "analysts see the scores");
    let id = case["case_id"].as_str().expect("id");
    for kind in ["selfie", "document"] {
        let crop = staff_get(&app, &analyst, &format!("/v1/cases/{id}/crops/{kind}")).await;
        assert_eq!(crop.status().as_u16(), 200);
        assert_eq!(crop.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/png"));
        let png = image::load_from_memory(&crop.bytes().await.expect("bytes")).expect("a PNG");
        assert_eq!((png.width(), png.height()), (112, 112));
    }
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'view_crop' AND actor = 'ana'").await, 2);
    let client = app
        .client
        .get(app.url(&format!("/v1/cases/{id}/crops/selfie")))
        .bearer_auth(&app.api_key)
        .header("X-Purpose", "anti_fraud");
    assert_error(client.send().await.expect("request"), 403, "forbidden").await;
    let sealed = app.sql_blobs("SELECT sealed FROM case_crops").await;
    assert_eq!(sealed.len(), 2);
    let raw = sealed.iter().filter(|b| b.windows(4).any(|w| w == b"\x89PNG")).count();
    assert_eq!(raw, 0, "crops are sealed at rest, no PNG signature in the database");
}

#[tokio::test]
async fn fraud_is_confirmed_only_with_a_supervisors_sign_off() {
    let app = spawn_app().await;
    let meta = app.consented_meta("APP-F").await;
    let created = app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await;
    let v: Value = created.json().await.expect("json");
    let analyst = app.staff_session("ana", Role::FraudAnalyst).await;
    let supervisor = app.staff_session("sue", Role::Supervisor).await;
    let case = case_of(&app, &analyst, v["verification_id"].as_str().expect("id")).await;
    let id = case["case_id"].as_str().expect("id").to_owned();
    let proposed: Value = decide(&app, &analyst, &id, "confirm_fraud").await.json().await.expect("json");
    assert_eq!(proposed["status"], "pending_signoff");
    assert_error(decide(&app, &analyst, &id, "confirm_fraud").await, 403, "forbidden").await;
    let signed: Value = decide(&app, &supervisor, &id, "confirm_fraud").await.json().await.expect("json");
    assert_eq!((signed["status"].as_str(), signed["outcome"].as_str()), (Some("closed"), Some("confirmed_fraud")));
    assert_error(decide(&app, &analyst, &id, "clear").await, 409, "case_closed").await;
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM audit_log WHERE action IN ('decide_case', 'sign_off_case')").await,
        2
    );
}

#[tokio::test]
async fn a_supervisor_cannot_sign_off_their_own_proposal_and_analysts_clear_alone() {
    let app = spawn_app().await;
    let supervisor = app.staff_session("sue", Role::Supervisor).await;
    let analyst = app.staff_session("ana", Role::FraudAnalyst).await;
    let mut ids = Vec::new();
    for subject in ["APP-1", "APP-2"] {
        let meta = app.consented_meta(subject).await;
        let v: Value = app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await.json().await.expect("json");
        ids.push(
            case_of(&app, &analyst, v["verification_id"].as_str().expect("id")).await["case_id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    decide(&app, &supervisor, &ids[0], "confirm_fraud").await;
    let own = decide(&app, &supervisor, &ids[0], "confirm_fraud").await;
    assert_error(own, 403, "forbidden").await;
    let cleared: Value = decide(&app, &analyst, &ids[1], "clear").await.json().await.expect("json");
    assert_eq!((cleared["status"].as_str(), cleared["outcome"].as_str()), (Some("closed"), Some("cleared")));
}

#[tokio::test]
async fn the_queue_filters_by_status_and_reason_and_pages() {
    let app = spawn_app().await;
    for i in 0..3 {
        let meta = app.consented_meta(&format!("APP-{i}")).await;
        assert_eq!(app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await.status().as_u16(), 201);
    }
    let analyst = app.staff_session("ana", Role::FraudAnalyst).await;
    let page = |q: &'static str| {
        let app = &app;
        let analyst = analyst.clone();
        async move { staff_get(app, &analyst, &format!("/v1/cases?{q}")).await.json::<Value>().await.expect("json") }
    };
    assert_eq!(page("status=open&reason=document_no_face").await["items"].as_array().expect("items").len(), 3);
    assert_eq!(page("reason=spoof_suspected").await["items"].as_array().expect("items").len(), 0);
    assert_eq!(page("limit=2").await["items"].as_array().expect("items").len(), 2);
    assert_eq!(page("limit=2&offset=2").await["items"].as_array().expect("items").len(), 1);
    let bad = staff_get(&app, &analyst, "/v1/cases?status=maybe").await;
    assert_error(bad, 400, "invalid_body").await;
    let assigned =
        app.client
            .post(app.url(&format!(
                "/v1/cases/{}/assign",
                page("limit=1").await["items"][0]["case_id"].as_str().expect("id")
            )))
            .bearer_auth(&analyst)
            .header("X-Purpose", "anti_fraud")
            .send()
            .await
            .expect("request");
    assert_eq!(assigned.json::<Value>().await.expect("json")["assigned_to"], "ana");
}
