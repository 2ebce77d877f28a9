//! The audit log's lanes (issue 15 item 3): on PostgreSQL, appends about different applicants run side by side on
//! lanes of their own, appends about one applicant wait for each other, and every other audited write (erasure,
//! withdrawal, sweep, checkpoint) waits for all appends in flight; a lane removed, cut or rolled back is a break.
//! SQLite keeps one lane and the checkpoint format it always signed.

use std::time::Duration;

use faceverify::audit::{self, Action, AuditEvent, ChainBreak, Outcome, CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_LANES};
use faceverify::cli::admin;
use faceverify::store::{Backend, Store, WriteTx};

use crate::helpers::{spawn_app, TestApp};

/// Long enough for an append that is not held back to finish on a loaded machine; a wait that is held back is
/// released only by the test.
const HELD: Duration = Duration::from_millis(500);
const DONE: Duration = Duration::from_secs(20);

fn event(subject: &str) -> AuditEvent<'_> {
    AuditEvent {
        actor: "lanes-test",
        role: "operator",
        action: Action::RecordConsent,
        purpose: None,
        subject_ref: Some(audit::Subject::Clear(subject)),
        result: Outcome::Success,
        request_id: None,
    }
}

async fn commit(mut tx: WriteTx, subject: &str) {
    let audited = audit::append(&mut tx, &event(subject)).await.expect("append");
    tx.commit(audited).await.expect("commit");
}

/// The lane an append about `subject` is given, once `begin_append` returns (within `DONE`).
async fn append_on_lane(store: &Store, subject: &str) -> i64 {
    let tx =
        tokio::time::timeout(DONE, store.begin_append(Some(subject))).await.expect("not held back").expect("begin");
    let lane = tx.lane();
    commit(tx, subject).await;
    lane
}

/// `append_on_lane` in a task of its own, to see whether it is held back.
fn append_later(store: &Store, subject: &'static str) -> tokio::task::JoinHandle<i64> {
    let store = store.clone();
    tokio::spawn(async move { append_on_lane(&store, subject).await })
}

fn postgres(app: &TestApp) -> bool {
    if app.store.backend() == Backend::Postgres {
        return true;
    }
    eprintln!("SKIPPED: lanes exist on PostgreSQL only; the PostgreSQL pass runs this (FACEVERIFY_TEST_POSTGRES)");
    false
}

async fn first_break(app: &TestApp, checkpoints: &[audit::Checkpoint]) -> Option<ChainBreak> {
    admin::verify_audit_against(&app.store, checkpoints).await.expect("verify").first_break
}

#[tokio::test]
async fn each_backend_has_its_lanes_and_checkpoints_name_them_all() {
    let app = spawn_app().await;
    app.consent("APP-LANES-1").await;
    let checkpoint = admin::sign_checkpoint(&app.store).await.expect("checkpoint");
    let report = admin::verify_audit_against(&app.store, std::slice::from_ref(&checkpoint)).await.expect("verify");
    assert!(report.intact, "{report:?}");
    match app.store.backend() {
        Backend::Sqlite => {
            assert_eq!((app.store.audit_lanes(), report.lanes), (1, 1));
            assert_eq!(checkpoint.format, CHECKPOINT_FORMAT, "one lane: the format signed before lanes");
            assert!(checkpoint.lanes.is_empty());
            let json = serde_json::to_value(&checkpoint).expect("json");
            assert!(json.get("lanes").is_none(), "a v1 checkpoint file is as it was: {json}");
        }
        Backend::Postgres => {
            assert_eq!((app.store.audit_lanes(), report.lanes), (audit::POSTGRES_LANES, audit::POSTGRES_LANES));
            assert_eq!(checkpoint.format, CHECKPOINT_FORMAT_LANES);
            let lanes: Vec<i64> = checkpoint.lanes.iter().map(|m| m.lane).collect();
            assert_eq!(lanes, (2..=audit::POSTGRES_LANES).collect::<Vec<_>>());
            // A second replica's start finds the lanes open: nothing changes.
            let again = Store::connect(&app.settings.database.url).await.expect("store").unlock(&app.kek).await;
            assert_eq!(again.expect("unlock").audit_lanes(), audit::POSTGRES_LANES);
            assert_eq!(app.sql_count("SELECT COUNT(*) FROM audit_head").await, audit::POSTGRES_LANES);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appends_about_one_applicant_wait_for_each_other_and_others_run_beside_them() {
    let app = spawn_app().await;
    if !postgres(&app) {
        return;
    }
    let store = app.store.clone();
    let held = store.begin_append(Some("APP-LANES-A")).await.expect("begin");
    // Another applicant: at once, on another lane.
    let other = append_on_lane(&store, "APP-LANES-B").await;
    assert_ne!(other, held.lane(), "the held lane is skipped");
    // The same applicant: held back until the first append ends.
    let same = append_later(&store, "APP-LANES-A");
    tokio::time::sleep(HELD).await;
    assert!(!same.is_finished(), "a second append about the same applicant waits for the first");
    commit(held, "APP-LANES-A").await;
    tokio::time::timeout(DONE, same).await.expect("released").expect("task");
    assert!(admin::verify_audit_against(&store, &[]).await.expect("verify").intact);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_exclusive_write_waits_for_the_appends_in_flight_and_holds_back_new_ones() {
    let app = spawn_app().await;
    if !postgres(&app) {
        return;
    }
    let store = app.store.clone();
    let append = store.begin_append(Some("APP-LANES-C")).await.expect("begin");
    let exclusive = tokio::spawn({
        let store = store.clone();
        async move {
            let tx = store.begin_write().await.expect("begin_write");
            tokio::time::sleep(HELD).await;
            commit(tx, "APP-LANES-E").await;
        }
    });
    tokio::time::sleep(HELD).await;
    assert!(!exclusive.is_finished(), "an erasure or withdrawal waits for the verification in flight");
    // A new append queues behind the waiting exclusive write, not beside it.
    let newcomer = append_later(&store, "APP-LANES-D");
    tokio::time::sleep(HELD).await;
    assert!(!newcomer.is_finished(), "an exclusive write waiting is not starved by later appends");
    commit(append, "APP-LANES-C").await;
    tokio::time::timeout(DONE, exclusive).await.expect("exclusive write done").expect("task");
    tokio::time::timeout(DONE, newcomer).await.expect("newcomer done").expect("task");
    let lane_of =
        |subject: &str| format!("SELECT lane FROM audit_log WHERE subject_ref = '{}'", app.pseudonym(subject));
    assert_eq!(app.sql_count(&lane_of("APP-LANES-E")).await, 1, "exclusive writes append to lane 1");
    assert!(admin::verify_audit_against(&store, &[]).await.expect("verify").intact);
}

/// Rows on lane 2 (an append while another holds lane 1) and a checkpoint of that state.
async fn app_with_two_lanes() -> Option<(TestApp, audit::Checkpoint)> {
    let app = spawn_app().await;
    if !postgres(&app) {
        return None;
    }
    let held = app.store.begin_append(Some("APP-LANES-F")).await.expect("begin");
    assert_eq!(held.lane(), 1);
    assert_eq!(append_on_lane(&app.store, "APP-LANES-G").await, 2);
    commit(held, "APP-LANES-F").await;
    let checkpoint = admin::sign_checkpoint(&app.store).await.expect("checkpoint");
    assert_eq!(first_break(&app, std::slice::from_ref(&checkpoint)).await, None);
    Some((app, checkpoint))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lane_cut_removed_or_rolled_back_is_a_break() {
    let Some((app, checkpoint)) = app_with_two_lanes().await else { return };
    app.sql_exec("DELETE FROM audit_log WHERE lane = 2").await;
    assert_eq!(first_break(&app, &[]).await, Some(ChainBreak::HeadMismatch { lane: 2, head_seq: 1, last_seq: 0 }));
    app.sql_exec("DELETE FROM audit_head WHERE id = 2").await;
    assert_eq!(first_break(&app, &[]).await, Some(ChainBreak::LaneMissing { lane: 2 }));
    app.sql_exec("UPDATE audit_lanes SET lanes = 1").await;
    assert_eq!(first_break(&app, &[]).await, Some(ChainBreak::LanesUnauthenticated), "the registry's MAC");
    // A replica starting on it raises the alarm and does not re-seal it.
    let start = Store::connect(&app.settings.database.url).await.expect("store").unlock(&app.kek).await;
    assert_eq!(start.expect("starts").audit_lanes(), 1);
    let alarm = "SELECT COUNT(*) FROM security_events WHERE kind = 'audit_chain_break' AND detail LIKE '%registry%'";
    assert_eq!(app.sql_count(alarm).await, 1);
    // Rolled back to before the lanes were opened: self-consistent, so only the checkpoint kept elsewhere notices.
    app.sql_exec("UPDATE audit_lanes SET lanes = 1, mac = NULL").await;
    app.sql_exec("DELETE FROM audit_head WHERE id > 1").await;
    assert_eq!(first_break(&app, &[]).await, None, "a rollback the keyed chain cannot see");
    assert_eq!(
        first_break(&app, &[checkpoint]).await,
        Some(ChainBreak::CheckpointAhead { lane: 2, count: 1, head_seq: 0 })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_moved_between_lanes_or_a_head_swapped_is_a_break() {
    let Some((app, _)) = app_with_two_lanes().await else { return };
    let last_of_lane_1 = app.sql_count("SELECT MAX(seq) FROM audit_log WHERE lane = 1").await;
    // Numbered past lane 1's next row, which the verification's own audit row takes.
    let moved_to = last_of_lane_1 + 100;
    app.sql_exec(&format!("UPDATE audit_log SET lane = 1, seq = {moved_to} WHERE lane = 2")).await;
    assert_eq!(first_break(&app, &[]).await, Some(ChainBreak::Unlinked { lane: 1, seq: moved_to }));

    let Some((app, _)) = app_with_two_lanes().await else { return };
    // Lane 3's head (empty, sealed) put in place of lane 2's: the MAC binds the lane.
    app.sql_exec("DELETE FROM audit_log WHERE lane = 2").await;
    app.sql_exec(
        "UPDATE audit_head SET seq = h.seq, hash = h.hash, base_seq = h.base_seq, base_hash = h.base_hash, mac = h.mac
         FROM (SELECT * FROM audit_head WHERE id = 3) AS h WHERE audit_head.id = 2",
    )
    .await;
    assert_eq!(first_break(&app, &[]).await, Some(ChainBreak::HeadUnauthenticated { lane: 2 }));
}
