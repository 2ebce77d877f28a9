//! Retention: expired data is destroyed (templates crypto-shredded), recorded, and the audit chain still verifies.

use faceverify::cli::admin;

use crate::helpers::{face, form, require_shared, settings, spawn_app, tiny_jpeg};

#[tokio::test]
async fn a_sweep_destroys_what_expired_records_it_and_keeps_the_rest() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let old = app.consented_meta("APP-OLD").await;
    let real = form(face(&shared, "images/deepface/img20.jpg"), face(&shared, "images/deepface/img21.jpg"), &old);
    assert_eq!(app.post_verification(real).await.status().as_u16(), 201);
    assert_eq!(app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &old)).await.status().as_u16(), 201);
    let new = app.consented_meta("APP-NEW").await;
    let recent = form(face(&shared, "images/deepface/img3.jpg"), face(&shared, "images/deepface/img12.jpg"), &new);
    assert_eq!(app.post_verification(recent).await.status().as_u16(), 201);
    // Age APP-OLD's records and the first two audit rows.
    let long_ago = "2019-01-01T00:00:00Z";
    app.sql_exec(&format!("UPDATE templates SET created_at = '{long_ago}' WHERE subject_ref = 'APP-OLD'")).await;
    app.sql_exec(&format!("UPDATE verifications SET created_at = '{long_ago}' WHERE applicant_ref = 'APP-OLD'")).await;
    app.sql_exec(&format!(
        "UPDATE cases SET status = 'closed', closed_at = '{long_ago}' WHERE subject_ref = 'APP-OLD'"
    ))
    .await;
    app.sql_exec("UPDATE audit_log SET at = '2010-01-01T00:00:00Z' WHERE seq <= 2").await;

    let report = faceverify::retention::sweep(&app.store, &settings().retention, time::OffsetDateTime::now_utc())
        .await
        .expect("sweep");
    assert_eq!((report.templates, report.verifications, report.data_keys_shredded), (1, 2, 1), "{report:?}");
    assert_eq!(report.audit_rows, 2);
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM subject_keys WHERE subject_ref = 'APP-OLD'").await,
        0,
        "crypto-shredded"
    );
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM cases WHERE subject_ref = 'APP-OLD'").await, 0);
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM templates WHERE subject_ref = 'APP-NEW'").await,
        1,
        "recent data kept"
    );
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM destruction_log").await, 4);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'retention_sweep'").await, 1);
    let chain = admin::verify_audit(&app.store).await.expect("verify");
    assert!(chain.intact, "the retained audit rows still verify after pruning: {chain:?}");
    let again = faceverify::retention::sweep(&app.store, &settings().retention, time::OffsetDateTime::now_utc())
        .await
        .expect("sweep");
    assert_eq!((again.templates, again.verifications, again.audit_rows), (0, 0, 0), "idempotent");
}

/// Replicas each run their sweeper against one database: concurrent sweeps destroy each expired record once, none
/// fails, and the audit chain stays linear.
#[tokio::test]
async fn concurrent_sweeps_from_several_replicas_destroy_each_record_once() {
    let app = spawn_app().await;
    for i in 0..6 {
        let meta = app.consented_meta(&format!("APP-R{i}")).await;
        assert_eq!(app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await.status().as_u16(), 201);
    }
    app.sql_exec("UPDATE verifications SET created_at = '2019-01-01T00:00:00.000000Z'").await;
    let mut replicas = Vec::new();
    for _ in 0..4 {
        let store = faceverify::store::Store::connect(&app.db.url()).await.expect("replica store");
        replicas.push(store.unlock(&app.kek).await.expect("unlock"));
    }
    let sweeps = replicas.iter().map(|store| async move {
        faceverify::retention::sweep(store, &settings().retention, time::OffsetDateTime::now_utc()).await
    });
    let reports = futures_util::future::join_all(sweeps).await;
    let destroyed: u64 = reports.iter().map(|r| r.as_ref().expect("every sweep succeeds").verifications).sum();
    assert_eq!(destroyed, 6, "each expired verification destroyed exactly once: {reports:?}");
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM verifications").await, 0);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'retention_sweep'").await, 4);
    let chain = admin::verify_audit(&app.store).await.expect("verify");
    assert!(chain.intact, "{chain:?}");
}
