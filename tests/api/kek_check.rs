//! The wrong key-encryption key is refused at start (issue: started with another KEK, the service looked ready
//! while no stored key opened and 1:N search was silently empty).

use faceverify::cli::admin;
use faceverify::startup::Application;

use crate::helpers::{pool, settings, spawn_app, write_kek, TestApp};

/// Builds a second application over `app`'s database with the KEK in `kek_file`; the error text if refused.
async fn start_with(app: &TestApp, kek_file: &std::path::Path) -> Result<(), String> {
    let mut s = settings();
    s.database.url = app.db.url();
    s.vault.kek_file = Some(kek_file.to_owned());
    match Application::build_with_pool(s, pool()).await {
        Ok(_) => Ok(()),
        Err(e) => Err(format!("{e:#}")),
    }
}

/// A data key wrapped under the app's KEK, as every enrolled subject has, with the audit row of its enrolment.
async fn enrol_key(app: &TestApp, subject: &str) {
    use faceverify::audit::{Action, AuditEvent, Outcome, Subject};
    let mut tx = app.store.begin_write().await.expect("transaction");
    faceverify::store::biometrics::data_key(&mut tx, &app.kek, subject).await.expect("data key");
    let event = AuditEvent {
        actor: "test",
        role: "onboarding",
        action: Action::Verify,
        purpose: None,
        subject_ref: Some(Subject::Clear(subject)),
        result: Outcome::Success,
        request_id: None,
    };
    let audited = faceverify::audit::append(&mut tx, &event).await.expect("audit row");
    tx.commit(audited).await.expect("commit");
}

#[tokio::test]
async fn another_key_under_the_same_id_is_refused_and_the_right_one_accepted() {
    let app = spawn_app().await;
    enrol_key(&app, "APP-KEK-1").await;
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM kek_checks WHERE kek_id = 'kek-test'").await, 1);
    let other_dir = tempfile::tempdir().expect("tempdir");
    let impostor = other_dir.path().join("kek-test.key");
    write_kek(&impostor);
    let refused = start_with(&app, &impostor).await.expect_err("a different key under the same id must be refused");
    assert!(refused.contains("is not the key the database's keys were wrapped with"), "{refused}");
    assert!(!refused.contains(&std::fs::read_to_string(&impostor).expect("read")), "no key material in the error");
    start_with(&app, &app.kek_file).await.expect("the right key starts");
}

#[tokio::test]
async fn after_rotation_the_old_key_is_refused_and_the_new_one_accepted() {
    let app = spawn_app().await;
    enrol_key(&app, "APP-KEK-2").await;
    let new_file = app.dir.path().join("kek-2027.key");
    write_kek(&new_file);
    let mut s = settings();
    s.database.url = app.db.url();
    s.vault.kek_file = Some(app.kek_file.clone());
    admin::rotate(&s, &new_file).await.expect("rotate");
    let refused = start_with(&app, &app.kek_file).await.expect_err("the rotated-out key must be refused");
    assert!(refused.contains("wrapped under key-encryption key `kek-2027`"), "{refused}");
    assert!(refused.contains("`kek-test` is configured"), "{refused}");
    start_with(&app, &new_file).await.expect("the new key starts");
    // The operator commands refuse the old key too (they would seal TOTP seeds under it).
    let refused = admin::open(&s).await.err().map(|e| format!("{e:#}")).unwrap_or_default();
    assert!(refused.contains("kek-2027"), "{refused}");
}

#[tokio::test]
async fn a_database_from_before_check_values_is_probed_through_its_stored_keys() {
    let app = spawn_app().await;
    enrol_key(&app, "APP-KEK-3").await;
    app.sql_exec("DELETE FROM kek_checks").await;
    let other_dir = tempfile::tempdir().expect("tempdir");
    let impostor = other_dir.path().join("kek-test.key");
    write_kek(&impostor);
    let refused = start_with(&app, &impostor).await.expect_err("the stored data key does not open");
    assert!(refused.contains("is not the key"), "{refused}");
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM kek_checks").await, 0, "nothing recorded for a refused key");
    start_with(&app, &app.kek_file).await.expect("the right key starts");
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM kek_checks WHERE kek_id = 'kek-test'").await, 1, "recorded");
}

#[tokio::test]
async fn without_a_check_value_the_service_keys_alone_refuse_another_kek() {
    // A fresh installation: no subject keys, no staff, only the service keys the first start created.
    let app = spawn_app().await;
    app.sql_exec("DELETE FROM kek_checks").await;
    let other_dir = tempfile::tempdir().expect("tempdir");
    let impostor = other_dir.path().join("kek-test.key");
    write_kek(&impostor);
    let refused = start_with(&app, &impostor).await.expect_err("the service keys do not open");
    assert!(refused.contains("is not the key"), "{refused}");
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM kek_checks").await, 0, "the wrong key is not recorded");
}
