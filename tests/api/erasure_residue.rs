//! Erasure without residue (issue 11, item 8): after `DELETE /v1/subjects/APP-3` no byte of the reference is left
//! in the SQLite file or its write-ahead log (consents and audit rows hold a keyed pseudonym, deleted rows are
//! overwritten, the log is checkpointed), and the residue check finds a clear copy wherever one is planted.

use faceverify::policy::Role;
use memchr::memmem;

use crate::helpers::{face, form, require_shared, spawn_app, tiny_jpeg, TestApp, TestDb};

/// Copies of `needle` in the SQLite database file and its WAL (None on PostgreSQL, whose files are the server's).
fn file_copies(app: &TestApp, needle: &str) -> Option<usize> {
    let TestDb::Sqlite { path } = &app.db else { return None };
    let count = ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| std::fs::read(format!("{}{suffix}", path.display())).ok())
        .map(|bytes| memmem::find_iter(&bytes, needle.as_bytes()).count())
        .sum();
    Some(count)
}

/// APP-3 enrolled (template, data key), flagged (a case), withdrawn, then erased, beside another applicant.
#[tokio::test]
async fn after_erasure_no_copy_of_the_reference_is_left_in_the_database_or_its_log() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let consent = app.consent("APP-3").await;
    let meta = crate::helpers::meta("APP-3", &consent);
    let enrol = form(face(&shared, "images/deepface/img20.jpg"), face(&shared, "images/deepface/img21.jpg"), &meta);
    assert_eq!(app.post_verification(enrol).await.status().as_u16(), 201);
    assert_eq!(app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await.status().as_u16(), 201);
    let other = app.consented_meta("ZED-9").await;
    assert_eq!(app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &other)).await.status().as_u16(), 201);
    if let Some(copies) = file_copies(&app, "APP-3") {
        assert!(copies > 0, "the scan sees the reference while it is stored");
    }
    assert_eq!(app.withdraw_consent(&consent).await.status().as_u16(), 200);

    let dpo = app.staff_session("dora", Role::Dpo).await;
    app.staff_json(&dpo, reqwest::Method::DELETE, "/v1/subjects/APP-3").await;
    if let Some(copies) = file_copies(&app, "APP-3") {
        assert_eq!(copies, 0, "bytes of APP-3 left in the database file or its WAL");
        assert!(file_copies(&app, "ZED-9").is_some_and(|c| c > 0), "the other applicant's data is still there");
    }
    let pseudonym = app.pseudonym("APP-3");
    let kept = format!("SELECT COUNT(*) FROM audit_log WHERE subject_ref = '{pseudonym}'");
    assert!(app.sql_count(&kept).await >= 5, "the record of processing stays, under the pseudonym");
    let consents = format!("SELECT COUNT(*) FROM consents WHERE subject_ref = '{pseudonym}'");
    assert_eq!(app.sql_count(&consents).await, 1, "the withdrawn consent stays, under the pseudonym");

    let residue = app.staff_json(&dpo, reqwest::Method::GET, "/v1/subjects/APP-3/residue").await;
    assert_eq!(residue["nothing_remains"], true, "{residue}");
    assert_eq!(residue["residue"]["stored_copies"], serde_json::json!({}), "{residue}");
    assert_eq!(
        (residue["residue"]["database_file_copies"].as_i64(), residue["residue"]["wal_file_copies"].as_i64()),
        (Some(0), Some(0))
    );
}

#[tokio::test]
async fn the_residue_check_finds_a_planted_copy_and_a_deleted_one_left_in_the_log() {
    let app = spawn_app().await;
    app.consented_meta("APP-3").await;
    let dpo = app.staff_session("dora", Role::Dpo).await;
    app.staff_json(&dpo, reqwest::Method::DELETE, "/v1/subjects/APP-3").await;
    let residue = app.staff_json(&dpo, reqwest::Method::GET, "/v1/subjects/APP-3/residue").await;
    assert_eq!(residue["nothing_remains"], true, "{residue}");

    // A clear copy in a table no erasure step knows about.
    let at = "2026-12-02T00:00:00.000000Z";
    app.sql_exec(&format!(
        "INSERT INTO security_events (at, kind, severity, detail) VALUES ('{at}', 'note', 'warning', 'about APP-3')"
    ))
    .await;
    let residue = app.staff_json(&dpo, reqwest::Method::GET, "/v1/subjects/APP-3/residue").await;
    assert_eq!(residue["nothing_remains"], false, "{residue}");
    assert_eq!(residue["residue"]["stored_copies"]["security_events.detail"], 1, "{residue}");

    // Deleted again: no stored value holds it, but on SQLite the log still has the frame with the row.
    app.sql_exec("DELETE FROM security_events WHERE kind = 'note'").await;
    let residue = app.staff_json(&dpo, reqwest::Method::GET, "/v1/subjects/APP-3/residue").await;
    assert_eq!(residue["residue"]["stored_copies"], serde_json::json!({}), "{residue}");
    if matches!(app.db, TestDb::Sqlite { .. }) {
        assert!(residue["residue"]["wal_file_copies"].as_i64() > Some(0), "{residue}");
        assert_eq!(residue["nothing_remains"], false, "{residue}");
        // Erasing again checkpoints the log; the overwritten row leaves nothing in the file.
        app.staff_json(&dpo, reqwest::Method::DELETE, "/v1/subjects/APP-3").await;
        let residue = app.staff_json(&dpo, reqwest::Method::GET, "/v1/subjects/APP-3/residue").await;
        assert_eq!(residue["nothing_remains"], true, "{residue}");
    }
}

#[tokio::test]
async fn a_longer_reference_that_contains_the_erased_one_is_not_residue() {
    let app = spawn_app().await;
    let three = app.consented_meta("APP-3").await;
    let thirty = app.consented_meta("APP-30").await;
    for meta in [&three, &thirty] {
        assert_eq!(app.post_verification(form(tiny_jpeg(), tiny_jpeg(), meta)).await.status().as_u16(), 201);
    }
    let dpo = app.staff_session("dora", Role::Dpo).await;
    app.staff_json(&dpo, reqwest::Method::DELETE, "/v1/subjects/APP-3").await;
    if let Some(copies) = file_copies(&app, "APP-3") {
        assert!(copies > 0, "APP-30's rows hold the bytes of APP-3");
    }
    let residue = app.staff_json(&dpo, reqwest::Method::GET, "/v1/subjects/APP-3/residue").await;
    assert_eq!(residue["nothing_remains"], true, "APP-30 is live data, not residue of APP-3: {residue}");
    let thirty = app.staff_json(&dpo, reqwest::Method::GET, "/v1/subjects/APP-30/residue").await;
    assert_eq!(thirty["nothing_remains"], false, "{thirty}");
    assert_eq!(thirty["residue"]["stored_copies"]["verifications.applicant_ref"], 1, "{thirty}");
}
