//! Templates at rest: sealed, never plaintext in the database file, tamper-evident, rotatable.

use faceverify::cli::admin;

use crate::helpers::{face, form, require_shared, selfie_embedding, settings, spawn_app, write_kek, TestApp, TestDb};

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

/// Everything the database holds: SQLite's file with its WAL; for PostgreSQL, every row as text and every binary
/// value as its bytes (its files belong to the server).
async fn database_bytes(app: &TestApp) -> Vec<u8> {
    let mut bytes = Vec::new();
    match &app.db {
        TestDb::Sqlite { path } => {
            for suffix in ["", "-wal", "-shm"] {
                if let Ok(b) = std::fs::read(format!("{}{suffix}", path.display())) {
                    bytes.extend(b);
                }
            }
        }
        TestDb::Postgres { .. } => {
            let mut conn = app.store.acquire().await.expect("connection");
            let in_schema = "table_schema = current_schema()";
            let tables: Vec<String> = sqlx::query_scalar(&format!(
                "SELECT table_name::text FROM information_schema.tables WHERE {in_schema}"
            ))
            .fetch_all(&mut *conn)
            .await
            .expect("tables");
            for table in &tables {
                let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT r::text FROM {table} r"))
                    .fetch_all(&mut *conn)
                    .await
                    .expect("rows");
                bytes.extend(rows.concat().into_bytes());
            }
            let binary: Vec<(String, String)> = sqlx::query_as(&format!(
                "SELECT table_name::text, column_name::text FROM information_schema.columns
                 WHERE {in_schema} AND data_type = 'bytea'"
            ))
            .fetch_all(&mut *conn)
            .await
            .expect("columns");
            assert!(binary.len() >= 4, "templates, keys, crops and TOTP seeds are binary columns");
            for (table, column) in binary {
                let values: Vec<Vec<u8>> =
                    sqlx::query_scalar(&format!("SELECT {column} FROM {table} WHERE {column} IS NOT NULL"))
                        .fetch_all(&mut *conn)
                        .await
                        .expect("values");
                bytes.extend(values.concat());
            }
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
    let db = database_bytes(&app).await;
    let sealed = app.sql_blobs("SELECT sealed FROM templates").await.remove(0);
    assert!(db.windows(sealed.len()).any(|w| w == sealed.as_slice()), "the scan sees the stored template");
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
    let mut sealed = app.sql_blobs("SELECT sealed FROM templates").await.remove(0);
    sealed[40] ^= 0x01;
    let mut conn = app.store.acquire().await.expect("connection");
    sqlx::query("UPDATE templates SET sealed = $1").bind(&sealed).execute(&mut *conn).await.expect("tamper");
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
    let sealed_before = app.sql_blobs("SELECT sealed FROM templates").await;
    let wrapped_before = app.sql_blobs("SELECT wrapped_dek FROM subject_keys").await;
    let new_file = app.dir.path().join("kek-2027.key");
    write_kek(&new_file);
    let mut s = settings();
    s.database.url = app.db.url();
    s.vault.kek_file = Some(app.kek_file.clone());
    let rotation = admin::rotate(&s, &new_file).await.expect("rotate");
    assert_eq!(rotation.data_keys_rewrapped, 1);
    assert_eq!(app.sql_blobs("SELECT sealed FROM templates").await, sealed_before, "ciphertexts untouched");
    assert_ne!(app.sql_blobs("SELECT wrapped_dek FROM subject_keys").await, wrapped_before, "data key rewrapped");
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

#[tokio::test]
async fn a_template_that_does_not_open_keeps_the_service_not_ready() {
    let shared = require_shared!();
    let app = spawn_app().await;
    verified_subject(&app, &shared, "APP-READY-1").await;
    let mut sealed = app.sql_blobs("SELECT sealed FROM templates").await.remove(0);
    sealed[40] ^= 0x01;
    let mut conn = app.store.acquire().await.expect("connection");
    sqlx::query("UPDATE templates SET sealed = $1").bind(&sealed).execute(&mut *conn).await.expect("tamper");
    drop(conn);
    // A restart over the tampered store: it serves, but is not ready, and says why.
    let mut s = settings();
    s.database.url = app.db.url();
    s.vault.kek_file = Some(app.kek_file.clone());
    let restarted = faceverify::startup::Application::build_with_pool(s, crate::helpers::pool()).await.expect("starts");
    let url = format!("http://127.0.0.1:{}/readyz", restarted.port());
    tokio::spawn(restarted.run_until_stopped());
    let ready = app.client.get(url).send().await.expect("request");
    assert_eq!(ready.status().as_u16(), 503);
    let body: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(body["checks"]["gallery"], false, "{body}");
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM security_events WHERE kind = 'aead_failure'").await, 1);
    // Gallery synchronisation passes (every second) do not retry it: one event, not one a second.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM security_events WHERE kind = 'aead_failure'").await, 1);
}
