//! The service keys (audit chain, pseudonyms, checkpoint signing): wrapped by the KEK, refused under another KEK,
//! carried across a KEK rotation unchanged, never created by a start over an existing audit chain (removed keys
//! stop the service), and created by `audit adopt-legacy` for a database written before they existed, whose rows
//! are then pseudonymised (consents) or kept as the legacy chain (audit rows).

use faceverify::cli::admin;
use faceverify::startup::Application;
use faceverify::store::{Store, StoreError};

use crate::helpers::{form, meta, pool, settings, spawn_app, tiny_jpeg, write_kek, TestApp};

fn settings_for(app: &TestApp, kek_file: &std::path::Path) -> faceverify::config::Settings {
    let mut s = settings();
    s.database.url = app.db.url();
    s.vault.kek_file = Some(kek_file.to_path_buf());
    s
}

#[tokio::test]
async fn another_kek_cannot_open_the_service_keys_and_the_service_refuses_to_start() {
    let app = spawn_app().await;
    let other = app.dir.path().join("kek-other.key");
    write_kek(&other);
    let other_kek = faceverify::vault::load(&other).expect("kek");
    let err = Store::connect(&app.db.url()).await.expect("store").unlock(&other_kek).await.expect_err("refused");
    assert!(matches!(err, StoreError::ServiceKeys { .. }), "{err:?}");
    let err = Application::build_with_pool(settings_for(&app, &other), pool()).await.err().expect("refused");
    // The key check value refuses it first, naming the key the database expects.
    assert!(err.to_string().contains("wrapped under key-encryption key `kek-test`"), "{err}");
    assert!(!format!("{err:?}").contains(&hex::encode(other_kek.expose())), "no key material in the error");
}

#[tokio::test]
async fn rotation_rewraps_the_service_keys_and_changes_nothing_they_produce() {
    let app = spawn_app().await;
    app.consent("APP-1").await;
    let new_file = app.dir.path().join("kek-2027.key");
    write_kek(&new_file);
    let rotation = admin::rotate(&settings_for(&app, &app.kek_file), &new_file).await.expect("rotate");
    assert_eq!(rotation.service_keys_rewrapped, 3);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM service_keys WHERE kek_id = 'kek-2027'").await, 3);
    let new_kek = faceverify::vault::load(&new_file).expect("kek");
    let rotated = Store::connect(&app.db.url()).await.expect("store").unlock(&new_kek).await.expect("new KEK opens");
    assert_eq!(rotated.pseudonym("APP-1").expect("keys"), app.pseudonym("APP-1"), "pseudonyms are stable");
    assert!(admin::verify_audit(&rotated).await.expect("verify").intact, "old rows verify under the same key");
    assert!(Store::connect(&app.db.url()).await.expect("store").unlock(&app.kek).await.is_err(), "old KEK refused");
}

/// Turns the app's database into what the previous version wrote: clear subject references in consents and audit
/// rows, an unkeyed chain, no head MAC, no service keys.
async fn as_written_before_upgrade(app: &TestApp, subjects: &[&str]) {
    let mut conn = app.store.acquire().await.expect("conn");
    let mut rows = faceverify::audit::export(&mut conn).await.expect("export");
    let mut prev = "0".repeat(64);
    for row in &mut rows {
        let clear = subjects.iter().find(|s| row.subject_ref.as_deref() == Some(app.pseudonym(s).as_str()));
        row.subject_ref = clear.map(|s| (*s).to_owned()).or(row.subject_ref.take());
        row.prev_hash = prev;
        row.hash = row.legacy_hash();
        prev = row.hash.clone();
        sqlx::query("UPDATE audit_log SET subject_ref = $1, prev_hash = $2, hash = $3 WHERE seq = $4")
            .bind(&row.subject_ref)
            .bind(&row.prev_hash)
            .bind(&row.hash)
            .bind(row.seq)
            .execute(&mut *conn)
            .await
            .expect("row");
    }
    for subject in subjects {
        sqlx::query("UPDATE consents SET subject_ref = $1, subject_scheme = 0 WHERE subject_ref = $2")
            .bind(subject)
            .bind(app.pseudonym(subject))
            .execute(&mut *conn)
            .await
            .expect("consent");
    }
    sqlx::query("UPDATE audit_head SET hash = $1, mac = NULL WHERE id = 1")
        .bind(prev)
        .execute(&mut *conn)
        .await
        .expect("head");
    // One lane, as every database had before lanes (on PostgreSQL the start opened more, all still empty).
    sqlx::query("DELETE FROM audit_head WHERE id > 1").execute(&mut *conn).await.expect("lanes");
    sqlx::query("UPDATE audit_lanes SET lanes = 1, mac = NULL").execute(&mut *conn).await.expect("lanes");
    sqlx::query("DELETE FROM service_keys").execute(&mut *conn).await.expect("keys");
}

async fn post(app: &TestApp, address: &str, subject: &str, consent: &str) -> u16 {
    let response = app
        .client
        .post(format!("{address}/v1/verifications"))
        .bearer_auth(&app.api_key)
        .multipart(form(tiny_jpeg(), tiny_jpeg(), &meta(subject, consent)))
        .send()
        .await
        .expect("request");
    response.status().as_u16()
}

#[tokio::test]
async fn an_upgraded_database_gets_keys_pseudonymised_consents_and_a_legacy_chain_that_still_verifies() {
    let app = spawn_app().await;
    let consent = app.consent("APP-OLD").await;
    app.consent("APP-OLD-2").await;
    assert_eq!(post(&app, &app.address, "APP-OLD", &consent).await, 201, "a case, so a data key");
    as_written_before_upgrade(&app, &["APP-OLD", "APP-OLD-2"]).await;
    app.sql_exec("UPDATE subject_keys SET pseudonym = NULL").await;
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM consents WHERE subject_ref = 'APP-OLD'").await, 1, "legacy");

    // The upgraded service refuses to start on it until the operator adopts the legacy chain.
    let err = Application::build_with_pool(settings_for(&app, &app.kek_file), pool()).await.err().expect("refused");
    assert!(err.to_string().contains("faceverify audit adopt-legacy"), "{err}");
    let adopted = app.cli(&["audit", "adopt-legacy"]);
    assert!(adopted.status.success(), "{}", String::from_utf8_lossy(&adopted.stderr));
    assert!(String::from_utf8_lossy(&adopted.stdout).contains("audit rows 1 to 3 are the legacy"));
    let again = app.cli(&["audit", "adopt-legacy"]);
    assert!(!again.status.success(), "a second adoption is refused");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has its service keys"));
    let upgraded = Application::build_with_pool(settings_for(&app, &app.kek_file), pool()).await.expect("starts");
    let address = format!("http://127.0.0.1:{}", upgraded.port());
    tokio::spawn(upgraded.run_until_stopped());
    let store = Store::connect(&app.db.url()).await.expect("store").unlock(&app.kek).await.expect("unlock");
    let pseudonym = store.pseudonym("APP-OLD").expect("keys");
    assert_ne!(pseudonym, app.pseudonym("APP-OLD"), "new keys");
    let stored = format!("SELECT COUNT(*) FROM consents WHERE subject_ref = '{pseudonym}' AND subject_scheme = 1");
    assert_eq!(app.sql_count(&stored).await, 1, "the legacy consent is pseudonymised at start");
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM consents WHERE subject_ref LIKE 'APP-OLD%'").await, 0);
    let keyed = format!("SELECT COUNT(*) FROM subject_keys WHERE pseudonym = '{pseudonym}'");
    assert_eq!(app.sql_count(&keyed).await, 1, "the data key is filed under the pseudonym too");
    let event = "SELECT COUNT(*) FROM security_events WHERE kind = 'service_keys_created' AND severity = 'critical'";
    assert_eq!(app.sql_count(event).await, 1, "keys created over existing audit rows is reported");
    let adoption =
        "SELECT COUNT(*) FROM audit_log WHERE seq = 4 AND action = 'adopt_legacy_audit' AND actor = 'operator'";
    assert_eq!(app.sql_count(adoption).await, 1, "the adoption is the first keyed row");

    // The legacy consent still admits processing, and its withdrawal still finds the data key to destroy.
    assert_eq!(post(&app, &address, "APP-OLD", &consent).await, 201);
    let withdraw = app
        .client
        .delete(format!("{address}/v1/consents/{consent}"))
        .bearer_auth(&app.api_key)
        .header("X-Purpose", "identification");
    assert_eq!(withdraw.send().await.expect("request").status().as_u16(), 200);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM subject_keys").await, 0, "crypto-shredded");

    // The chain verifies: rows 1-3 unkeyed, then keyed (from the adoption's own row).
    let report = admin::verify_audit(&store).await.expect("verify");
    assert!(report.intact && report.keyed_from == 4, "{report:?}");
    let verify_row = format!("SELECT COUNT(*) FROM audit_log WHERE action = 'verify' AND subject_ref = '{pseudonym}'");
    assert_eq!(app.sql_count(&verify_row).await, 1);

    // Legacy rows rewritten and rehashed, unkeyed as they were: the first keyed row's link gives it away.
    let mut conn = store.acquire().await.expect("conn");
    let mut rows = faceverify::audit::export(&mut conn).await.expect("export");
    rows[0].actor = "mallory".into();
    let mut prev = "0".repeat(64);
    for row in rows.iter_mut().take(3) {
        row.prev_hash = prev;
        row.hash = row.legacy_hash();
        prev = row.hash.clone();
        sqlx::query("UPDATE audit_log SET actor = $1, prev_hash = $2, hash = $3 WHERE seq = $4")
            .bind(&row.actor)
            .bind(&row.prev_hash)
            .bind(&row.hash)
            .bind(row.seq)
            .execute(&mut *conn)
            .await
            .expect("row");
    }
    drop(conn);
    let report = admin::verify_audit(&store).await.expect("verify");
    assert_eq!(report.first_break, Some(faceverify::audit::ChainBreak::Unlinked { lane: 1, seq: 4 }), "{report:?}");
}

async fn head_mac(app: &TestApp) -> Option<String> {
    let mut conn = app.store.acquire().await.expect("conn");
    sqlx::query_scalar("SELECT mac FROM audit_head WHERE id = 1").fetch_one(&mut *conn).await.expect("head")
}

/// The service keys are deleted from a live installation: alone (the head keeps its MAC under the old keys), or
/// after rewriting the chain unkeyed the way the previous version wrote it (no head MAC), or leaving the
/// `unauthenticated` mark a write put on a head it found forged. A start must not create new keys, seal the head
/// and adopt that chain as legacy: the service refuses to start, and so do operator commands.
#[tokio::test]
async fn service_keys_removed_from_a_live_installation_stop_the_service_instead_of_being_recreated() {
    for attack in ["keys deleted", "chain rewritten", "tamper mark kept"] {
        let app = spawn_app().await;
        app.consent("APP-1").await;
        app.consent("APP-2").await;
        match attack {
            "keys deleted" => app.sql_exec("DELETE FROM service_keys").await,
            "chain rewritten" => as_written_before_upgrade(&app, &[]).await,
            _ => {
                as_written_before_upgrade(&app, &[]).await;
                app.sql_exec("UPDATE audit_head SET mac = 'unauthenticated' WHERE id = 1").await;
            }
        }
        let mac = head_mac(&app).await;

        let err = Application::build_with_pool(settings_for(&app, &app.kek_file), pool()).await.err().expect("refused");
        assert!(err.to_string().contains("faceverify audit adopt-legacy"), "{attack}: {err}");
        let err = Store::connect(&app.db.url()).await.expect("store").unlock(&app.kek).await.expect_err("refused");
        assert!(matches!(err, StoreError::NoServiceKeys), "{attack}: {err:?}");
        assert!(!app.cli(&["audit", "verify"]).status.success(), "{attack}: operator commands refuse it too");
        assert_eq!(app.sql_count("SELECT COUNT(*) FROM service_keys").await, 0, "{attack}: no keys created");
        assert_eq!(head_mac(&app).await, mac, "{attack}: the head is not re-sealed");
    }
}

#[tokio::test]
async fn adopt_legacy_has_nothing_to_do_on_a_keyed_or_fresh_database() {
    let app = spawn_app().await;
    let keyed = app.cli(&["audit", "adopt-legacy"]);
    assert!(!keyed.status.success());
    assert!(String::from_utf8_lossy(&keyed.stderr).contains("already has its service keys"));

    let dir = tempfile::tempdir().expect("tempdir");
    let fresh = crate::helpers::TestDb::fresh(dir.path()).await;
    let mut s = settings_for(&app, &app.kek_file);
    s.database.url = fresh.url();
    let err = admin::adopt_legacy(&s).await.expect_err("nothing to adopt");
    assert!(err.to_string().contains("no audit rows"), "{err}");
    let store = Store::connect(&fresh.url()).await.expect("store").unlock(&app.kek).await.expect("keyed at start");
    assert!(admin::verify_audit(&store).await.expect("verify").intact);
    store.close().await;
}
