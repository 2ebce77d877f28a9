//! The audit log: actions land in it with who, role, purpose and subject; any edit, deletion or reordering of
//! rows is detected and raises a security event; auditors export it.

use faceverify::audit::ChainBreak;
use faceverify::cli::admin;
use faceverify::policy::Role;

use crate::helpers::{spawn_app, TestApp};

/// An app with five audited consents (rows 1-5).
async fn app_with_history() -> TestApp {
    let app = spawn_app().await;
    for i in 0..5 {
        app.consent(&format!("SUBJ-{i}")).await;
    }
    app
}

async fn first_break(app: &TestApp) -> Option<ChainBreak> {
    admin::verify_audit(&app.store).await.expect("verify").first_break
}

#[tokio::test]
async fn actions_are_recorded_with_actor_role_purpose_and_subject() {
    let app = app_with_history().await;
    let mut conn = app.store.acquire().await.expect("conn");
    let rows = faceverify::audit::export(&mut conn).await.expect("export");
    assert_eq!(rows.len(), 5);
    let first = &rows[0];
    assert_eq!(
        (first.actor.as_str(), first.role.as_str(), first.action.as_str()),
        ("onboarding", "onboarding", "record_consent")
    );
    assert_eq!(first.purpose.as_deref(), Some("identification"));
    assert_eq!(first.subject_ref, Some(app.pseudonym("SUBJ-0")), "the subject, pseudonymised");
    assert!(first.request_id.as_deref().is_some_and(|r| !r.is_empty()));
    assert_eq!(rows[1].prev_hash, first.hash, "each row links to the one before");
}

#[tokio::test]
async fn an_intact_chain_verifies() {
    let app = app_with_history().await;
    let report = admin::verify_audit(&app.store).await.expect("verify");
    assert!(report.intact && report.rows == 5, "{report:?}");
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM security_events").await, 0);
}

#[tokio::test]
async fn an_edited_row_is_detected() {
    let app = app_with_history().await;
    app.sql_exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3").await;
    assert_eq!(first_break(&app).await, Some(ChainBreak::Altered { lane: 1, seq: 3 }));
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM security_events WHERE kind = 'audit_chain_break'").await, 1);
}

#[tokio::test]
async fn a_deleted_row_is_detected() {
    let app = app_with_history().await;
    app.sql_exec("DELETE FROM audit_log WHERE seq = 2").await;
    assert_eq!(first_break(&app).await, Some(ChainBreak::Unlinked { lane: 1, seq: 3 }));
}

#[tokio::test]
async fn reordered_rows_are_detected() {
    let app = app_with_history().await;
    app.sql_exec("UPDATE audit_log SET seq = -1 WHERE seq = 2").await;
    app.sql_exec("UPDATE audit_log SET seq = 2 WHERE seq = 3").await;
    app.sql_exec("UPDATE audit_log SET seq = 3 WHERE seq = -1").await;
    assert_eq!(first_break(&app).await, Some(ChainBreak::Unlinked { lane: 1, seq: 2 }));
}

#[tokio::test]
async fn a_deleted_tail_is_detected() {
    let app = app_with_history().await;
    app.sql_exec("DELETE FROM audit_log WHERE seq = 5").await;
    assert_eq!(first_break(&app).await, Some(ChainBreak::HeadMismatch { lane: 1, head_seq: 5, last_seq: 4 }));
}

#[tokio::test]
async fn auditors_export_the_log_and_the_export_is_itself_audited() {
    let app = app_with_history().await;
    let token = app.staff_session("aud", Role::Auditor).await;
    let response = app
        .client
        .get(app.url("/v1/audit/export"))
        .bearer_auth(&token)
        .header("X-Purpose", "identification")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200);
    let rows: Vec<serde_json::Value> = response.json().await.expect("json");
    let last = rows.last().expect("rows");
    assert_eq!((last["action"].as_str(), last["actor"].as_str()), (Some("export_audit"), Some("aud")));
    assert!(rows.iter().any(|r| r["action"] == "login" && r["actor"] == "aud"));
    let verify = app.client.get(app.url("/v1/audit/verify")).bearer_auth(&token).header("X-Purpose", "anti_fraud");
    let report: serde_json::Value = verify.send().await.expect("request").json().await.expect("json");
    assert_eq!(report["intact"], true);
}
