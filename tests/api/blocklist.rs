//! The blocklist: a supervisor puts a confirmed-fraud face on it; later applicants with that face go to review
//! with `blocklisted_face` (the client sees only `under_review`) until the entry is removed.

use faceverify::policy::Role;
use serde_json::Value;

use crate::helpers::{assert_error, face, require_shared, spawn_app, spawn_app_with, TestApp};

async fn decide(app: &TestApp, token: &str, case: &str) {
    let body = serde_json::json!({ "outcome": "confirm_fraud", "comment": "the same face under two applicants" });
    let response = app
        .staff_request(reqwest::Method::POST, token, &format!("/v1/cases/{case}/decision"))
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200);
}

/// The analysts' reasons of verification `id`'s case, if it has one.
async fn case_reasons(app: &TestApp, token: &str, id: &str) -> Option<(String, Vec<String>)> {
    let list: Value = app
        .staff_request(reqwest::Method::GET, token, "/v1/cases?limit=200")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let item = list["items"].as_array().expect("items").iter().find(|c| c["verification_id"] == id)?.clone();
    let reasons = item["reasons"].as_array().expect("reasons").iter().map(|r| r.as_str().unwrap_or("").to_owned());
    Some((item["case_id"].as_str().expect("id").to_owned(), reasons.collect()))
}

/// Staff tokens and the case of a face confirmed as fraud: APP-A enrolled, the same face under APP-B opened a
/// duplicate case, which analyst "ana" and supervisor "sue" confirmed as fraud.
pub(crate) struct ConfirmedFraud {
    pub analyst: String,
    pub supervisor: String,
    pub case: String,
}

pub(crate) async fn confirmed_fraud(app: &TestApp, shared: &std::path::Path) -> ConfirmedFraud {
    let p = |n: &str| face(shared, &format!("images/deepface/{n}"));
    let analyst = app.staff_session("ana", Role::FraudAnalyst).await;
    let supervisor = app.staff_session("sue", Role::Supervisor).await;
    assert_eq!(app.verified("APP-A", p("img3.jpg"), p("img12.jpg")).await["decision"], "match");
    let fraud = app.verified("APP-B", p("img53.jpg"), p("img54.jpg")).await;
    let (case, _) = case_reasons(app, &analyst, fraud["verification_id"].as_str().expect("id")).await.expect("case");
    decide(app, &analyst, &case).await;
    decide(app, &supervisor, &case).await;
    ConfirmedFraud { analyst, supervisor, case }
}

/// `confirmed_fraud`, then the face put on the blocklist by the supervisor: the entry.
async fn blocklisted_fraud(app: &TestApp, shared: &std::path::Path) -> (ConfirmedFraud, Value) {
    let fraud = confirmed_fraud(app, shared).await;
    let path = format!("/v1/cases/{}/blocklist", fraud.case);
    let added = app.staff_request(reqwest::Method::POST, &fraud.supervisor, &path).send().await.expect("request");
    assert_eq!(added.status().as_u16(), 201);
    let entry = added.json().await.expect("json");
    (fraud, entry)
}

#[tokio::test]
async fn a_confirmed_fraud_face_flags_later_applicants_until_removed() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let p = |n: &str| face(&shared, &format!("images/deepface/{n}"));
    let analyst = app.staff_session("ana", Role::FraudAnalyst).await;
    let supervisor = app.staff_session("sue", Role::Supervisor).await;
    let first = app.verified("APP-A", p("img3.jpg"), p("img12.jpg")).await;
    assert_eq!(first["decision"], "match", "{first}");
    let fraud = app.verified("APP-B", p("img53.jpg"), p("img54.jpg")).await;
    let (case, reasons) =
        case_reasons(&app, &analyst, fraud["verification_id"].as_str().expect("id")).await.expect("a case");
    assert!(reasons.contains(&"duplicate_identity".to_owned()), "{reasons:?}");
    let blocklist = format!("/v1/cases/{case}/blocklist");
    let post = |token: &str| app.staff_request(reqwest::Method::POST, token, &blocklist).send();
    assert_error(post(&supervisor).await.expect("request"), 409, "case_not_confirmed_fraud").await;
    decide(&app, &analyst, &case).await;
    assert_error(post(&supervisor).await.expect("request"), 409, "case_not_confirmed_fraud").await;
    decide(&app, &supervisor, &case).await;
    assert_error(post(&analyst).await.expect("request"), 403, "forbidden").await;
    let added = post(&supervisor).await.expect("request");
    assert_eq!(added.status().as_u16(), 201);
    let entry: Value = added.json().await.expect("json");
    assert_eq!((entry["case_id"].as_str(), entry["reason"].as_str()), (Some(case.as_str()), Some("confirmed_fraud")));
    assert_eq!(entry["added_by"], "sue");
    assert_error(post(&supervisor).await.expect("request"), 409, "already_listed").await;

    // Another photo of that face, under a new reference: review, and analysts see why.
    let later = app.verified("APP-C", p("img3.jpg"), p("img12.jpg")).await;
    assert_eq!(later["decision"], "review", "{later}");
    assert_eq!(later["reasons"], serde_json::json!(["under_review"]), "the client learns nothing more: {later}");
    let (_, reasons) =
        case_reasons(&app, &analyst, later["verification_id"].as_str().expect("id")).await.expect("case");
    assert!(reasons.contains(&"blocklisted_face".to_owned()), "{reasons:?}");
    let other = app.verified("APP-D", p("img20.jpg"), p("img21.jpg")).await;
    assert_eq!(other["decision"], "match", "a different person is not affected: {other}");

    // The list: ids, reason, who, when; no template, no applicant reference.
    let listed = app.staff_request(reqwest::Method::GET, &supervisor, "/v1/blocklist").send().await.expect("request");
    assert_eq!(listed.status().as_u16(), 200);
    let text = listed.text().await.expect("body");
    assert!(!text.contains("APP-B") && !text.contains("sealed") && !text.contains("template"), "{text}");
    let listed: Value = serde_json::from_str(&text).expect("json");
    let items = listed["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    let mut keys: Vec<_> = items[0].as_object().expect("object").keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["added_by", "case_id", "created_at", "entry_id", "reason", "verification_id"]);
    let analyst_list =
        app.staff_request(reqwest::Method::GET, &analyst, "/v1/blocklist").send().await.expect("request");
    assert_error(analyst_list, 403, "forbidden").await;

    // Removed: later applicants with that face are no longer flagged by it.
    let entry_id = entry["entry_id"].as_str().expect("id");
    let remove =
        |token: &str| app.staff_request(reqwest::Method::DELETE, token, &format!("/v1/blocklist/{entry_id}")).send();
    assert_error(remove(&analyst).await.expect("request"), 403, "forbidden").await;
    assert_eq!(remove(&supervisor).await.expect("request").status().as_u16(), 200);
    assert_error(remove(&supervisor).await.expect("request"), 404, "not_found").await;
    let after = app.verified("APP-E", p("img3.jpg"), p("img12.jpg")).await;
    let reasons = case_reasons(&app, &analyst, after["verification_id"].as_str().expect("id")).await;
    assert!(!reasons.is_some_and(|(_, r)| r.contains(&"blocklisted_face".to_owned())), "the entry is gone");
    let audited =
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('blocklist_add', 'blocklist_remove', 'blocklist_list')";
    assert_eq!(app.sql_count(audited).await, 3);
}

#[tokio::test]
async fn erasing_the_subject_removes_its_blocklist_entry() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let p = |n: &str| face(&shared, &format!("images/deepface/{n}"));
    let (fraud, _) = blocklisted_fraud(&app, &shared).await;
    let dpo = app.staff_session("dee", Role::Dpo).await;
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM blocklist").await, 1);
    let erased = app.staff_request(reqwest::Method::DELETE, &dpo, "/v1/subjects/APP-B").send().await.expect("request");
    assert_eq!(erased.status().as_u16(), 200);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM blocklist").await, 0, "policy §7, §13: erasure removes it too");
    let later = app.verified("APP-C", p("img3.jpg"), p("img12.jpg")).await;
    let reasons = case_reasons(&app, &fraud.analyst, later["verification_id"].as_str().expect("id")).await;
    assert!(!reasons.is_some_and(|(_, r)| r.contains(&"blocklisted_face".to_owned())), "gone from memory at once");
}

/// Whether the stored verification `v` (an answer) carries `blocklisted_face` for analysts.
async fn blocklisted(app: &TestApp, v: &Value) -> bool {
    let id = v["verification_id"].as_str().expect("id");
    let sql = format!("SELECT COUNT(*) FROM verifications WHERE id = '{id}' AND reasons LIKE '%blocklisted_face%'");
    app.sql_count(&sql).await == 1
}

#[tokio::test]
async fn another_replica_follows_the_list_within_a_sync_pass() {
    let shared = require_shared!();
    let app = spawn_app_with(|s| s.gallery.sync_interval_ms = 100).await;
    let replica = app.spawn_replica().await;
    let p = |n: &str| face(&shared, &format!("images/deepface/{n}"));
    let (fraud, entry) = blocklisted_fraud(&app, &shared).await;
    let supervisor = fraud.supervisor;
    let at_replica = |subject: &'static str| app.verified_at(&replica, subject, p("img3.jpg"), p("img12.jpg"));
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert!(blocklisted(&app, &at_replica("APP-C").await).await, "the other replica read the new entry");
    let entry_id = entry["entry_id"].as_str().expect("id");
    let removed = app.staff_request(reqwest::Method::DELETE, &supervisor, &format!("/v1/blocklist/{entry_id}"));
    assert_eq!(removed.send().await.expect("request").status().as_u16(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert!(!blocklisted(&app, &at_replica("APP-D").await).await, "and dropped the removed one");
}

#[tokio::test]
async fn an_entry_past_its_retention_is_swept_and_flags_no_one_after_the_next_sync_pass() {
    let shared = require_shared!();
    let app = spawn_app_with(|s| s.gallery.sync_interval_ms = 100).await;
    let p = |n: &str| face(&shared, &format!("images/deepface/{n}"));
    blocklisted_fraud(&app, &shared).await;
    assert!(blocklisted(&app, &app.verified("APP-C", p("img3.jpg"), p("img12.jpg")).await).await);

    let retention = crate::helpers::settings().retention;
    let now = time::OffsetDateTime::now_utc();
    let report = faceverify::retention::sweep(&app.store, &retention, now).await.expect("sweep");
    assert_eq!(report.blocklist_entries, 0, "not yet past blocklist_days");
    let aged = now - time::Duration::days(retention.blocklist_days + 1);
    let aged = aged.format(&time::format_description::well_known::Rfc3339).expect("time");
    app.sql_exec(&format!("UPDATE blocklist SET created_at = '{aged}'")).await;
    let report = faceverify::retention::sweep(&app.store, &retention, now).await.expect("sweep");
    assert_eq!(report.blocklist_entries, 1, "{report:?}");
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM blocklist").await, 0);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM destruction_log WHERE kind = 'blocklist'").await, 1);
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    let later = app.verified("APP-D", p("img3.jpg"), p("img12.jpg")).await;
    assert!(!blocklisted(&app, &later).await, "the in-memory list followed the store");
}
