//! The allowlist: a supervisor pairs the two applicants of a cleared duplicate case (twins); their mutual 1:N hits
//! are no longer flagged, anyone else's still are, until the pair is removed.

use faceverify::policy::Role;
use serde_json::Value;

use crate::helpers::{assert_error, face, require_shared, spawn_app, TestApp};

async fn case_of(app: &TestApp, token: &str, verification_id: &str) -> String {
    let list: Value = app
        .staff_request(reqwest::Method::GET, token, "/v1/cases?limit=200")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let item = list["items"].as_array().expect("items").iter().find(|c| c["verification_id"] == verification_id);
    item.expect("a case")["case_id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_cleared_pair_is_not_flagged_against_each_other_until_removed() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let p = |n: &str| face(&shared, &format!("images/deepface/{n}"));
    let analyst = app.staff_session("ana", Role::FraudAnalyst).await;
    let supervisor = app.staff_session("sue", Role::Supervisor).await;
    app.verified("APP-A", p("img3.jpg"), p("img12.jpg")).await;
    let twin = app.verified("APP-B", p("img53.jpg"), p("img54.jpg")).await;
    assert_eq!(twin["decision"], "review", "{twin}");
    let case = case_of(&app, &analyst, twin["verification_id"].as_str().expect("id")).await;
    let path = format!("/v1/cases/{case}/allowlist");
    let post = |token: &str| app.staff_request(reqwest::Method::POST, token, &path).send();
    assert_error(post(&supervisor).await.expect("request"), 409, "case_not_cleared_duplicate").await;
    let body = serde_json::json!({ "outcome": "clear", "comment": "twins: the registry shows two people" });
    let cleared = app.staff_request(reqwest::Method::POST, &analyst, &format!("/v1/cases/{case}/decision")).json(&body);
    assert_eq!(cleared.send().await.expect("request").status().as_u16(), 200);
    assert_error(post(&analyst).await.expect("request"), 403, "forbidden").await;
    let added = post(&supervisor).await.expect("request");
    assert_eq!(added.status().as_u16(), 201);
    let entry: Value = added.json().await.expect("json");
    assert_eq!(entry["case_id"], case.as_str());
    assert_error(post(&supervisor).await.expect("request"), 409, "already_listed").await;

    let again = app.verified("APP-B", p("img53.jpg"), p("img54.jpg")).await;
    assert_eq!(again["decision"], "match", "the twin's face is no duplicate of hers: {again}");
    let third = app.verified("APP-C", p("img3.jpg"), p("img12.jpg")).await;
    assert_eq!(third["decision"], "review", "anyone else with that face still is: {third}");

    let listed = app.staff_request(reqwest::Method::GET, &supervisor, "/v1/allowlist").send().await.expect("request");
    let text = listed.text().await.expect("body");
    assert!(!text.contains("APP-"), "no subject in the list: {text}");
    let listed: Value = serde_json::from_str(&text).expect("json");
    let mut keys: Vec<_> = listed["items"][0].as_object().expect("object").keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["added_by", "case_id", "created_at", "entry_id"]);

    let entry_id = entry["entry_id"].as_str().expect("id");
    let removed = app.staff_request(reqwest::Method::DELETE, &supervisor, &format!("/v1/allowlist/{entry_id}"));
    assert_eq!(removed.send().await.expect("request").status().as_u16(), 200);
    let after = app.verified("APP-B", p("img53.jpg"), p("img54.jpg")).await;
    assert_eq!(after["decision"], "review", "flagged again once removed: {after}");
    let audited =
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('allowlist_add', 'allowlist_remove', 'allowlist_list')";
    assert_eq!(app.sql_count(audited).await, 3);
}

#[tokio::test]
async fn erasing_either_subject_removes_the_pair() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let p = |n: &str| face(&shared, &format!("images/deepface/{n}"));
    let analyst = app.staff_session("ana", Role::FraudAnalyst).await;
    let supervisor = app.staff_session("sue", Role::Supervisor).await;
    let dpo = app.staff_session("dee", Role::Dpo).await;
    app.verified("APP-A", p("img3.jpg"), p("img12.jpg")).await;
    let twin = app.verified("APP-B", p("img53.jpg"), p("img54.jpg")).await;
    let case = case_of(&app, &analyst, twin["verification_id"].as_str().expect("id")).await;
    let body = serde_json::json!({ "outcome": "clear", "comment": "twins" });
    let cleared = app.staff_request(reqwest::Method::POST, &analyst, &format!("/v1/cases/{case}/decision")).json(&body);
    assert_eq!(cleared.send().await.expect("request").status().as_u16(), 200);
    let added = app.staff_request(reqwest::Method::POST, &supervisor, &format!("/v1/cases/{case}/allowlist"));
    assert_eq!(added.send().await.expect("request").status().as_u16(), 201);
    let erased = app.staff_request(reqwest::Method::DELETE, &dpo, "/v1/subjects/APP-A").send().await.expect("request");
    assert_eq!(erased.status().as_u16(), 200);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM allowlist").await, 0);
}
