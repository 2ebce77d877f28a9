//! Read-only aggregates for the console's dashboard: counts per UTC day and per status, never a row's identity or
//! content. Days are `substr(created_at, 1, 10)` of the stored RFC 3339 UTC text, the same SQL on both backends.

use sqlx::AnyConnection;

use super::StoreError;
use crate::domain::Reason;

/// Reasons counted as a suspected spoof: the liveness check's own two.
pub const SPOOF_REASONS: [Reason; 2] = [Reason::SpoofSuspected, Reason::LivenessInconclusive];
/// Reasons counted as a duplicate: the selfie's or the document portrait's face enrolled by another applicant.
pub const DUPLICATE_REASONS: [Reason; 2] = [Reason::DuplicateIdentity, Reason::DocumentReused];

/// Verifications created on one UTC day (`YYYY-MM-DD`), by decision, and those with a spoof or duplicate reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct DayCounts {
    pub day: String,
    pub matched: i64,
    pub no_match: i64,
    pub review: i64,
    pub rejected: i64,
    pub spoof: i64,
    pub duplicate: i64,
}

/// Cases not yet closed, and when the oldest open one was opened.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QueueCounts {
    pub open: i64,
    pub pending_signoff: i64,
    pub oldest_open: Option<String>,
}

/// Cases closed on one UTC day, by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct ClosedCounts {
    pub day: String,
    pub cleared: i64,
    pub confirmed_fraud: i64,
}

/// `LIKE` pattern for a reason inside the stored JSON array of codes: the quoted code, LIKE's wildcards escaped.
fn reason_pattern(reason: Reason) -> String {
    let quoted = serde_json::to_string(&reason).unwrap_or_default();
    format!("%{}%", quoted.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}

/// Verifications per day from `since` (a `YYYY-MM-DD` day, inclusive), oldest first; days without any are absent.
pub async fn verifications_per_day(conn: &mut AnyConnection, since: &str) -> Result<Vec<DayCounts>, StoreError> {
    let rows = sqlx::query_as::<_, DayCounts>(
        "SELECT substr(created_at, 1, 10) AS day,
             COUNT(CASE WHEN decision = 'match' THEN 1 END) AS matched,
             COUNT(CASE WHEN decision = 'no_match' THEN 1 END) AS no_match,
             COUNT(CASE WHEN decision = 'review' THEN 1 END) AS review,
             COUNT(CASE WHEN decision = 'rejected' THEN 1 END) AS rejected,
             COUNT(CASE WHEN reasons LIKE $2 ESCAPE '\\' OR reasons LIKE $3 ESCAPE '\\' THEN 1 END) AS spoof,
             COUNT(CASE WHEN reasons LIKE $4 ESCAPE '\\' OR reasons LIKE $5 ESCAPE '\\' THEN 1 END) AS duplicate
         FROM verifications WHERE created_at >= $1
         GROUP BY substr(created_at, 1, 10) ORDER BY substr(created_at, 1, 10)",
    )
    .bind(since)
    .bind(reason_pattern(SPOOF_REASONS[0]))
    .bind(reason_pattern(SPOOF_REASONS[1]))
    .bind(reason_pattern(DUPLICATE_REASONS[0]))
    .bind(reason_pattern(DUPLICATE_REASONS[1]))
    .fetch_all(conn)
    .await?;
    Ok(rows)
}

/// The queue as it stands.
pub async fn queue(conn: &mut AnyConnection) -> Result<QueueCounts, StoreError> {
    Ok(sqlx::query_as::<_, QueueCounts>(
        "SELECT COUNT(CASE WHEN status = 'open' THEN 1 END) AS open,
             COUNT(CASE WHEN status = 'pending_signoff' THEN 1 END) AS pending_signoff,
             MIN(CASE WHEN status = 'open' THEN created_at END) AS oldest_open
         FROM cases",
    )
    .fetch_one(conn)
    .await?)
}

/// Cases closed per day from `since` (inclusive), oldest first.
pub async fn closed_per_day(conn: &mut AnyConnection, since: &str) -> Result<Vec<ClosedCounts>, StoreError> {
    Ok(sqlx::query_as::<_, ClosedCounts>(
        "SELECT substr(closed_at, 1, 10) AS day,
             COUNT(CASE WHEN outcome = 'cleared' THEN 1 END) AS cleared,
             COUNT(CASE WHEN outcome = 'confirmed_fraud' THEN 1 END) AS confirmed_fraud
         FROM cases WHERE status = 'closed' AND closed_at >= $1
         GROUP BY substr(closed_at, 1, 10) ORDER BY substr(closed_at, 1, 10)",
    )
    .bind(since)
    .fetch_all(conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_patterns_match_the_quoted_code_only() {
        assert_eq!(reason_pattern(Reason::DocumentReused), "%\"document\\_reused\"%");
    }
}
