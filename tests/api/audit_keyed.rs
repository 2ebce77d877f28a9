//! The keyed chain against someone who can write the database (issue 11, item 5): rows altered and deleted, the
//! chain recomputed (unkeyed, or under a guessed key) and re-based are all reported; an attacker who also holds
//! the KEK, and so recomputes under the right key, is caught by a signed checkpoint taken earlier.

use faceverify::audit::{AuditRow, ChainBreak, Checkpoint};
use faceverify::cli::admin;
use faceverify::vault::{ServiceKeys, WrappedServiceKey};
use sqlx::Row;

use crate::helpers::{spawn_app, TestApp};

const ZEROS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An app with `n` audited consents (rows 1 to n).
async fn app_with_rows(n: usize) -> TestApp {
    let app = spawn_app().await;
    for i in 0..n {
        app.consent(&format!("SUBJ-{i}")).await;
    }
    app
}

async fn rows(app: &TestApp) -> Vec<AuditRow> {
    let mut conn = app.store.acquire().await.expect("conn");
    faceverify::audit::export(&mut conn).await.expect("export")
}

/// What an attacker with the database writes: `rows` renumbered after `base_seq`, relinked, each hashed by `hash`,
/// and the head pointed at the result (its MAC left as it was, or set to `mac`).
async fn rewrite(app: &TestApp, mut rows: Vec<AuditRow>, base: (i64, &str), hash: impl Fn(&AuditRow) -> String) {
    let mut prev = base.1.to_owned();
    for (i, row) in rows.iter_mut().enumerate() {
        row.seq = base.0 + 1 + i as i64;
        row.prev_hash = prev;
        row.hash = hash(row);
        prev = row.hash.clone();
    }
    let mut conn = app.store.acquire().await.expect("conn");
    sqlx::query("DELETE FROM audit_log").execute(&mut *conn).await.expect("delete");
    for r in &rows {
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor, role, action, purpose, subject_ref, result, request_id,
                                    prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(r.seq)
        .bind(&r.at)
        .bind(&r.actor)
        .bind(&r.role)
        .bind(&r.action)
        .bind(&r.purpose)
        .bind(&r.subject_ref)
        .bind(&r.result)
        .bind(&r.request_id)
        .bind(&r.prev_hash)
        .bind(&r.hash)
        .execute(&mut *conn)
        .await
        .expect("insert");
    }
    let last = rows.last().map_or((base.0, base.1.to_owned()), |r| (r.seq, r.hash.clone()));
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2, base_seq = $3, base_hash = $4 WHERE id = 1")
        .bind(last.0)
        .bind(last.1)
        .bind(base.0)
        .bind(base.1)
        .execute(&mut *conn)
        .await
        .expect("head");
}

/// The attack: three rows altered, ten deleted.
fn tampered(mut rows: Vec<AuditRow>) -> Vec<AuditRow> {
    for i in [2, 5, 8] {
        rows[i].actor = "mallory".into();
    }
    rows.drain(10..20);
    rows
}

async fn first_break(app: &TestApp, checkpoints: &[Checkpoint]) -> Option<ChainBreak> {
    admin::verify_audit_against(&app.store, checkpoints).await.expect("verify").first_break
}

#[tokio::test]
async fn altered_deleted_and_recomputed_without_the_key_is_reported() {
    let guessed = ServiceKeys::generate(1).expect("keys");
    for attack in ["unkeyed", "guessed key", "re-based"] {
        let app = app_with_rows(24).await;
        let original = rows(&app).await;
        match attack {
            "unkeyed" => rewrite(&app, tampered(original), (0, ZEROS), AuditRow::legacy_hash).await,
            "guessed key" => rewrite(&app, tampered(original), (0, ZEROS), |r| r.expected_hash(&guessed)).await,
            // The way retention prunes, without the key: the first ten rows gone, the base moved past them.
            _ => rewrite(&app, original[10..].to_vec(), (10, &original[9].hash), |r| r.hash.clone()).await,
        }
        assert_eq!(first_break(&app, &[]).await, Some(ChainBreak::HeadUnauthenticated { lane: 1 }), "{attack}");
        // verify's own audit row did not re-seal the head it found forged: still reported, and the write that
        // found it raised a security event of its own.
        assert_eq!(first_break(&app, &[]).await, Some(ChainBreak::HeadUnauthenticated { lane: 1 }), "{attack}, again");
        let events = "SELECT COUNT(*) FROM security_events WHERE kind = 'audit_chain_break'";
        assert_eq!(app.sql_count(events).await, 3, "{attack}: two verifications and one write");
    }
}

#[tokio::test]
async fn rows_recomputed_without_the_key_fail_their_own_check() {
    let app = app_with_rows(6).await;
    let original = rows(&app).await;
    // Rows 3 to 6 edited and rehashed unkeyed, the head left alone: the first rewritten row is reported.
    let mut edited = original.clone();
    edited[2].actor = "mallory".into();
    rewrite(&app, edited, (0, ZEROS), |r| if r.seq < 3 { r.hash.clone() } else { r.legacy_hash() }).await;
    let mut conn = app.store.acquire().await.expect("conn");
    let head = (original[5].seq, original[5].hash.clone());
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(head.0)
        .bind(head.1)
        .execute(&mut *conn)
        .await
        .expect("head");
    drop(conn);
    assert_eq!(first_break(&app, &[]).await, Some(ChainBreak::Altered { lane: 1, seq: 3 }));
}

/// The attacker holds the KEK: they unwrap the service keys from the database and recompute with the right key.
async fn stolen_keys(app: &TestApp) -> ServiceKeys {
    let mut conn = app.store.acquire().await.expect("conn");
    let rows = sqlx::query("SELECT kind, kek_id, wrapped, chain_from FROM service_keys")
        .fetch_all(&mut *conn)
        .await
        .expect("service keys");
    let chain_from: i64 = rows[0].try_get("chain_from").expect("chain_from");
    let wrapped: Vec<WrappedServiceKey> = rows
        .iter()
        .map(|r| WrappedServiceKey {
            kind: r.try_get("kind").expect("kind"),
            kek_id: r.try_get("kek_id").expect("kek_id"),
            blob: r.try_get("wrapped").expect("wrapped"),
        })
        .collect();
    ServiceKeys::unwrap(&wrapped, &app.kek, chain_from).expect("the KEK opens them")
}

async fn reseal_head(app: &TestApp, keys: &ServiceKeys) {
    let mut conn = app.store.acquire().await.expect("conn");
    faceverify::audit::seal_head(&mut conn, keys).await.expect("seal");
}

#[tokio::test]
async fn a_rewrite_under_the_right_key_is_caught_by_an_earlier_checkpoint() {
    let app = app_with_rows(24).await;
    let checkpoint = admin::sign_checkpoint(&app.store).await.expect("checkpoint");
    assert_eq!((checkpoint.count, checkpoint.head.as_str()), (24, rows(&app).await[23].hash.as_str()));
    let keys = stolen_keys(&app).await;

    // The attack, recomputed under the real key and re-sealed: the chain alone looks intact...
    let original = rows(&app).await;
    rewrite(&app, tampered(original.clone()), (0, ZEROS), |r| r.expected_hash(&keys)).await;
    reseal_head(&app, &keys).await;
    assert_eq!(first_break(&app, &[]).await, None, "with the KEK, the chain itself can be rewritten");
    // ...but not against the checkpoint kept elsewhere: the chain is now shorter than it was (25 rows, the
    // checkpoint's own included, less ten, plus the verification's row).
    assert_eq!(
        first_break(&app, std::slice::from_ref(&checkpoint)).await,
        Some(ChainBreak::CheckpointAhead { lane: 1, count: 24, head_seq: 16 })
    );

    // Rows only altered (none deleted), same length: the row the checkpoint names has another hash.
    let mut altered = original.clone();
    altered[3].actor = "mallory".into();
    rewrite(&app, altered, (0, ZEROS), |r| r.expected_hash(&keys)).await;
    reseal_head(&app, &keys).await;
    assert_eq!(first_break(&app, &[]).await, None);
    assert_eq!(first_break(&app, &[checkpoint]).await, Some(ChainBreak::CheckpointMismatch { lane: 1, count: 24 }));
}

#[tokio::test]
async fn a_checkpoint_must_be_this_services_and_unaltered() {
    let app = app_with_rows(3).await;
    let good = admin::sign_checkpoint(&app.store).await.expect("checkpoint");
    assert_eq!(first_break(&app, std::slice::from_ref(&good)).await, None, "the chain grew since: still agrees");
    let report = admin::verify_audit_against(&app.store, std::slice::from_ref(&good)).await.expect("verify");
    assert!(report.intact && report.checkpoints == 1 && report.keyed_from == 1, "{report:?}");

    let lowered = Checkpoint { count: 2, ..good.clone() };
    assert_eq!(first_break(&app, &[lowered]).await, Some(ChainBreak::CheckpointUnsigned { count: 2 }));
    let other = app_with_rows(3).await;
    let foreign = admin::sign_checkpoint(&other.store).await.expect("checkpoint");
    assert_eq!(first_break(&app, &[foreign]).await, Some(ChainBreak::CheckpointUnsigned { count: 3 }));
    let relabelled = admin::sign_checkpoint(&other.store).await.expect("checkpoint");
    let relabelled = Checkpoint { public_key: good.public_key.clone(), ..relabelled };
    assert_eq!(first_break(&app, &[relabelled]).await, Some(ChainBreak::CheckpointUnsigned { count: 4 }));
}

#[tokio::test]
async fn no_checkpoint_is_signed_for_a_broken_chain() {
    let app = app_with_rows(3).await;
    app.sql_exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").await;
    let err = admin::sign_checkpoint(&app.store).await.expect_err("refused");
    assert!(err.to_string().contains("no checkpoint signed"), "{err}");
}

#[tokio::test]
async fn auditors_take_checkpoints_over_http() {
    let app = app_with_rows(2).await;
    let token = app.staff_session("aud", faceverify::policy::Role::Auditor).await;
    let get = || app.client.get(app.url("/v1/audit/checkpoint")).bearer_auth(&token).header("X-Purpose", "anti_fraud");
    let response = get().send().await.expect("request");
    assert_eq!(response.status().as_u16(), 200);
    let checkpoint: Checkpoint = response.json().await.expect("checkpoint JSON");
    assert_eq!(checkpoint.count, 3, "two consents and the auditor's login");
    assert_eq!(first_break(&app, &[checkpoint]).await, None);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'sign_checkpoint'").await, 1);

    app.sql_exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1").await;
    crate::helpers::assert_error(get().send().await.expect("request"), 409, "audit_chain_broken").await;
}

#[tokio::test]
async fn auditors_find_one_subjects_rows_by_its_reference_though_only_the_pseudonym_is_stored() {
    let app = app_with_rows(3).await;
    let token = app.staff_session("aud", faceverify::policy::Role::Auditor).await;
    let export = |query: &'static str| {
        app.client
            .get(app.url(&format!("/v1/audit/export{query}")))
            .bearer_auth(&token)
            .header("X-Purpose", "anti_fraud")
    };
    let body: Vec<serde_json::Value> =
        export("?subject=SUBJ-1").send().await.expect("request").json().await.expect("json");
    assert_eq!(body.len(), 1, "{body:?}");
    assert_eq!(body[0]["subject_ref"], app.pseudonym("SUBJ-1"));
    assert_eq!(body[0]["action"], "record_consent");
    let none: Vec<serde_json::Value> =
        export("?subject=NOBODY").send().await.expect("request").json().await.expect("json");
    assert!(none.is_empty());
    let all: Vec<serde_json::Value> = export("").send().await.expect("request").json().await.expect("json");
    assert!(all.len() >= 4 && !all.iter().any(|r| r["subject_ref"] == "SUBJ-1"), "no clear reference: {all:?}");
}

#[tokio::test]
async fn the_cli_writes_a_checkpoint_and_verifies_against_it() {
    let app = app_with_rows(5).await;
    let file = app.dir.path().join("checkpoint-1.json");
    let file_arg = file.to_str().expect("utf-8 path");
    let written = app.cli(&["audit", "checkpoint", "--out", file_arg]);
    assert!(written.status.success(), "{}", String::from_utf8_lossy(&written.stderr));
    let checkpoint: Checkpoint = serde_json::from_slice(&std::fs::read(&file).expect("file")).expect("checkpoint");
    assert_eq!(checkpoint.count, 5);
    assert!(app.cli(&["audit", "verify", "--checkpoint", file_arg]).status.success());

    // Someone with the KEK cuts the tail off and re-seals the head: only the checkpoint notices.
    app.sql_exec("DELETE FROM audit_log WHERE seq > 3").await;
    let last = rows(&app).await.pop().expect("rows");
    let mut conn = app.store.acquire().await.expect("conn");
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(last.seq)
        .bind(&last.hash)
        .execute(&mut *conn)
        .await
        .expect("head");
    drop(conn);
    reseal_head(&app, &stolen_keys(&app).await).await;
    assert!(app.cli(&["audit", "verify"]).status.success(), "the chain alone verifies");
    let caught = app.cli(&["audit", "verify", "--checkpoint", file_arg]);
    assert_eq!(caught.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&caught.stdout).contains("checkpoint_ahead"),
        "{}",
        String::from_utf8_lossy(&caught.stdout)
    );
}
