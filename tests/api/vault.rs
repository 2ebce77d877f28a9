//! Templates at rest: sealed, never plaintext in the database file, tamper-evident, rotatable.

use faceverify::admin;

use crate::helpers::{face, form, require_shared, selfie_embedding, settings, spawn_app, write_kek, TestApp};

async fn verified_subject(app: &TestApp, shared: &std::path::Path, subject: &str) -> Vec<f32> {
    let selfie = face(shared, "images/deepface/img20.jpg");
    let meta = app.consented_meta(subject).await;
    let response = app.post_verification(form(selfie.clone(), face(shared, "images/deepface/img21.jpg"), &meta)).await;
    assert_eq!(response.status().as_u16(), 201);
    let body = response.text().await.expect("body");
    let embedding = selfie_embedding(selfie).await;
    for v in embedding.iter().take(8) {
        assert!(!body.contains(&format!("{v:.5}")), "embedding value in the HTTP response");
    }
    embedding
}

async fn sealed_blobs(app: &TestApp, sql: &str) -> Vec<Vec<u8>> {
    let mut conn = app.store.acquire().await.expect("connection");
    sqlx::query_scalar::<_, Vec<u8>>(sql).fetch_all(&mut *conn).await.expect("blobs")
}

fn database_bytes(app: &TestApp) -> Vec<u8> {
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", app.db_path.display());
        if let Ok(b) = std::fs::read(&path) {
            bytes.extend(b);
        }
    }
    bytes
}

#[tokio::test]
async fn no_plaintext_embedding_reaches_the_database_file() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let embedding = verified_subject(&app, &shared, "APP-1").await;
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM templates").await, 1, "a template was stored");
    let db = database_bytes(&app);
    assert!(db.len() > 10_000);
    let le: Vec<u8> = embedding.iter().flat_map(|v| v.to_le_bytes()).collect();
    // Any two consecutive float32 values of the template, as they would sit in a plaintext row.
    for window in le.chunks_exact(4).collect::<Vec<_>>().windows(2) {
        let needle: Vec<u8> = window.concat();
        assert!(!db.windows(8).any(|w| w == needle.as_slice()), "plaintext template bytes found in the database");
    }
}

#[tokio::test]
async fn a_flipped_ciphertext_bit_is_detected_and_raises_a_security_event() {
    let shared = require_shared!();
    let app = spawn_app().await;
    verified_subject(&app, &shared, "APP-1").await;
    let clean = admin::check_vault(&app.store, &app.kek).await.expect("check");
    assert_eq!((clean.templates, clean.failed), (1, 0));
    // Flip one bit in the middle of the sealed blob.
    let mut sealed = sealed_blobs(&app, "SELECT sealed FROM templates").await.remove(0);
    sealed[40] ^= 0x01;
    let mut conn = app.store.acquire().await.expect("connection");
    sqlx::query("UPDATE templates SET sealed = ?").bind(&sealed).execute(&mut *conn).await.expect("tamper");
    drop(conn);
    let report = admin::check_vault(&app.store, &app.kek).await.expect("check");
    assert_eq!(report.failed, 1, "{report:?}");
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM security_events WHERE kind = 'aead_failure'").await, 1);
}

#[tokio::test]
async fn kek_rotation_rewraps_keys_without_touching_ciphertexts() {
    let shared = require_shared!();
    let app = spawn_app().await;
    verified_subject(&app, &shared, "APP-1").await;
    let sealed_before = sealed_blobs(&app, "SELECT sealed FROM templates").await;
    let wrapped_before = sealed_blobs(&app, "SELECT wrapped_dek FROM subject_keys").await;
    let new_file = app.dir.path().join("kek-2027.key");
    write_kek(&new_file);
    let mut s = settings();
    s.database.url = format!("sqlite://{}", app.db_path.display());
    s.vault.kek_file = Some(app.kek_file.clone());
    let rotation = admin::rotate(&s, &new_file).await.expect("rotate");
    assert_eq!(rotation.data_keys_rewrapped, 1);
    assert_eq!(sealed_blobs(&app, "SELECT sealed FROM templates").await, sealed_before, "ciphertexts untouched");
    assert_ne!(sealed_blobs(&app, "SELECT wrapped_dek FROM subject_keys").await, wrapped_before, "data key rewrapped");
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM subject_keys WHERE kek_id = 'kek-2027'").await, 1);
    let new_kek = faceverify::vault::load(&new_file).expect("kek");
    assert_eq!(admin::check_vault(&app.store, &new_kek).await.expect("check").failed, 0, "opens under the new KEK");
    assert_eq!(
        admin::check_vault(&app.store, &app.kek).await.expect("check").failed,
        1,
        "the old KEK no longer opens it"
    );
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'rotate_keys'").await, 1);
}
