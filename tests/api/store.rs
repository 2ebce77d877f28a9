//! The store itself, on whichever backend the suite runs against: what the HTTP tests reach only by chance.

use faceverify::domain::{Decision, Liveness, Reason, Verdict, VerificationMeta};
use faceverify::store::{insert_verification, NewVerification};
use uuid::Uuid;

use crate::helpers::spawn_app;

/// A statement is prepared once per connection: a verification without scores (no face found) followed by one with
/// scores must both store, in either order, on the same connection.
#[tokio::test]
async fn scores_may_be_absent_then_present_on_one_connection() {
    let app = spawn_app().await;
    let meta = VerificationMeta::parse(crate::helpers::META.as_bytes()).expect("meta");
    let verdict =
        Verdict { decision: Decision::Review, liveness: Liveness::Inconclusive, reasons: vec![Reason::SelfieNoFace] };
    let mut tx = app.store.begin().await.expect("transaction");
    let scores = [(None, None), (Some(0.51), Some(0.93)), (None, Some(0.2)), (Some(0.1), None)];
    for (i, (similarity, live_score)) in scores.into_iter().enumerate() {
        let digest = format!("digest-{i}");
        let record = NewVerification {
            id: Uuid::new_v4(),
            client: "onboarding",
            meta: &meta,
            idempotency_key: None,
            request_digest: &digest,
            verdict: &verdict,
            similarity,
            live_score,
            reference_similarity: None,
            duplicate_bar: live_score,
        };
        insert_verification(&mut tx, &record).await.unwrap_or_else(|e| panic!("row {i} ({similarity:?}): {e:?}"));
    }
    let stored: Vec<(Option<f64>, Option<f64>)> =
        sqlx::query_as("SELECT similarity, live_score FROM verifications ORDER BY request_digest")
            .fetch_all(&mut *tx)
            .await
            .expect("read back");
    let expected: Vec<(Option<f64>, Option<f64>)> =
        scores.iter().map(|(s, l)| (s.map(|v: f32| f64::from(v)), l.map(|v: f32| f64::from(v)))).collect();
    assert_eq!(stored, expected);
}
