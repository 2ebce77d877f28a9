//! Several replicas on one database (issue 15, items 1 and 2). Each replica's in-memory gallery follows the store,
//! so a face enrolled through one replica is found by 1:N search through another, and an erasure through one
//! leaves no decrypted template in another's memory, both within a bounded delay (`gallery.sync_interval_ms`).
//! The webhook outbox is delivered by one replica at a time (a lease), so no event goes out twice.

use faceverify::policy::Role;
use serde_json::Value;

use crate::helpers::{face, form, require_shared, spawn_app_with, tiny_jpeg};

/// Polls `probe` every 50 ms for up to 5 s until it holds.
async fn eventually<F, Fut>(what: &str, mut probe: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if probe().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{what}: not within 5 s");
}

#[tokio::test]
async fn replicas_see_each_others_enrolments_and_erasures() {
    let shared = require_shared!();
    let app = spawn_app_with(|s| s.gallery.sync_interval_ms = 100).await;
    let replica = app.spawn_replica().await;
    let dpo = app.staff_session("dora", Role::Dpo).await;
    let p = |n: &str| face(&shared, &format!("images/deepface/{n}"));

    // Applicant A enrolled through the first replica.
    let meta = app.consented_meta("APP-R1").await;
    let first: Value =
        app.post_verification(form(p("img3.jpg"), p("img12.jpg"), &meta)).await.json().await.expect("json");
    assert_eq!(first["decision"], "match", "{first}");
    eventually("the second replica holds A's template", || async {
        app.staff_json_at(&replica, &dpo, reqwest::Method::GET, "/v1/subjects/APP-R1/residue").await["residue"]
            ["gallery"]
            == 1
    })
    .await;

    // The same face under applicant B through the second replica: a duplicate.
    let second = app.verified_at(&replica, "APP-R2", p("img53.jpg"), p("img54.jpg")).await;
    assert_eq!(second["decision"], "review", "{second}");
    let id = second["verification_id"].as_str().expect("id");
    let sql = format!("SELECT COUNT(*) FROM verifications WHERE id = '{id}' AND reasons LIKE '%duplicate_identity%'");
    assert_eq!(app.sql_count(&sql).await, 1, "found through the other replica's enrolment");

    // A erased through the first replica: gone from the second replica's memory too.
    app.staff_json(&dpo, reqwest::Method::DELETE, "/v1/subjects/APP-R1").await;
    eventually("the second replica dropped A's template", || async {
        app.staff_json_at(&replica, &dpo, reqwest::Method::GET, "/v1/subjects/APP-R1/residue").await["residue"]
            ["gallery"]
            == 0
    })
    .await;
    let ready: Value =
        app.client.get(format!("{replica}/readyz")).send().await.expect("readyz").json().await.expect("json");
    assert_eq!(ready["checks"]["gallery_current"], true, "{ready}");
}

#[tokio::test]
async fn two_replicas_deliver_each_webhook_event_once() {
    let (url, seen) = crate::webhook::receiver(false);
    let app = spawn_app_with(|s| {
        s.webhook.url = Some(url);
        s.webhook.secret = Some("webhook-secret-for-tests-0123".into());
        s.webhook.poll_interval_ms = 5;
    })
    .await;
    let _replica = app.spawn_replica().await;
    // Each face-free verification opens a case: one `case.opened` event each.
    for i in 0..6 {
        let meta = app.consented_meta(&format!("APP-HOOK-{i}")).await;
        assert_eq!(app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await.status().as_u16(), 201);
    }
    let events = app.sql_count("SELECT COUNT(*) FROM webhook_outbox").await;
    assert!(events >= 6, "{events} events queued");
    eventually("every event delivered", || async {
        app.sql_count("SELECT COUNT(*) FROM webhook_outbox WHERE delivered_at IS NULL").await == 0
    })
    .await;
    // Both replicas poll every 5 ms; give a second sender time to show itself.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let bodies: Vec<String> = seen.lock().expect("lock").iter().map(|(_, _, body)| body.clone()).collect();
    let distinct: std::collections::HashSet<&String> = bodies.iter().collect();
    assert_eq!((bodies.len(), distinct.len()), (events as usize, events as usize), "each event once: {bodies:?}");
}

/// Three writers with their own connection pools (three replicas' shares of the audited writes) append at once,
/// first each with the log to itself (`begin_write`), then on lanes (`begin_append`): every append succeeds, the
/// lane writes spread over several lanes, and every lane `audit verify` walks is unbroken. PostgreSQL pass only
/// (SQLite is one process and one lane); `faceverify bench-audit` is the same run, longer, with its rates.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn interleaved_writers_from_three_pools_leave_unbroken_chains() {
    let Some(server) = crate::helpers::database::postgres_server() else {
        eprintln!("SKIPPED: the PostgreSQL pass runs this (FACEVERIFY_TEST_POSTGRES)");
        return;
    };
    let opts =
        faceverify::cli::bench::audit_chain::AuditBenchOptions { postgres: server, writers: vec![3], seconds: 2 };
    let report = faceverify::cli::bench::audit_chain::run(&opts).await.expect("bench-audit runs");
    assert_eq!(report.levels.len(), 2, "{report:?}");
    for level in &report.levels {
        assert_eq!(level.errors, 0, "{report:?}");
        assert!(level.appends > 10, "{report:?}");
    }
    assert!(report.chain_intact, "{report:?}");
    let appends: usize = report.levels.iter().map(|l| l.appends).sum();
    assert_eq!(report.chain_rows, appends, "every append is one row of a lane");
    assert!(report.lanes_used >= 2, "three writers at once take more than one lane: {report:?}");
}
