//! Review cases and their sealed face crops.

use serde::Serialize;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::{now_rfc3339, BindScore, StoreError};
use crate::domain::Reason;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Open,
    PendingSignoff,
    Closed,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::PendingSignoff => "pending_signoff",
            CaseStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [CaseStatus::Open, CaseStatus::PendingSignoff, CaseStatus::Closed].into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Case {
    pub case_id: Uuid,
    pub verification_id: Uuid,
    pub subject_ref: String,
    pub status: CaseStatus,
    pub reasons: Vec<Reason>,
    pub similarity: Option<f64>,
    pub live_score: Option<f64>,
    /// The other applicant's verification whose face matched this selfie.
    pub duplicate_verification_id: Option<Uuid>,
    pub duplicate_score: Option<f64>,
    pub assigned_to: Option<String>,
    pub outcome: Option<String>,
    pub proposed_by: Option<String>,
    pub comment: Option<String>,
    pub signed_off_by: Option<String>,
    pub created_at: String,
    pub closed_at: Option<String>,
}

pub struct NewCase<'a> {
    pub id: Uuid,
    pub verification_id: Uuid,
    pub subject_ref: &'a str,
    pub reasons: &'a [Reason],
    pub similarity: Option<f32>,
    pub live_score: Option<f32>,
    pub duplicate: Option<(Uuid, f32)>,
}

pub async fn insert(conn: &mut AnyConnection, c: &NewCase<'_>) -> Result<(), StoreError> {
    let reasons = serde_json::to_string(c.reasons).map_err(|_| StoreError::Corrupt("reasons"))?;
    sqlx::query(
        "INSERT INTO cases (id, verification_id, subject_ref, status, reasons, similarity, live_score,
             duplicate_verification_id, duplicate_score, created_at)
         VALUES ($1, $2, $3, 'open', $4, $5, $6, $7, $8, $9)",
    )
    .bind(c.id.to_string())
    .bind(c.verification_id.to_string())
    .bind(c.subject_ref)
    .bind(reasons)
    .bind_score(c.similarity)
    .bind_score(c.live_score)
    .bind(c.duplicate.map(|(v, _)| v.to_string()))
    .bind_score(c.duplicate.map(|(_, s)| s))
    .bind(now_rfc3339()?)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_crop(
    conn: &mut AnyConnection,
    case_id: Uuid,
    kind: &str,
    subject_ref: &str,
    sealed: &[u8],
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO case_crops (case_id, kind, subject_ref, sealed) VALUES ($1, $2, $3, $4)")
        .bind(case_id.to_string())
        .bind(kind)
        .bind(subject_ref)
        .bind(sealed)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn crop(conn: &mut AnyConnection, case_id: Uuid, kind: &str) -> Result<Vec<u8>, StoreError> {
    let row = sqlx::query("SELECT sealed FROM case_crops WHERE case_id = $1 AND kind = $2")
        .bind(case_id.to_string())
        .bind(kind)
        .fetch_one(conn)
        .await?;
    Ok(row.try_get("sealed")?)
}

const COLUMNS: &str = "id, verification_id, subject_ref, status, reasons, similarity, live_score,
    duplicate_verification_id, duplicate_score, assigned_to, outcome, proposed_by, comment, signed_off_by,
    created_at, closed_at";

fn parse(r: &sqlx::any::AnyRow) -> Result<Case, StoreError> {
    let uuid = |col: &str| -> Result<Uuid, StoreError> {
        Uuid::parse_str(&r.try_get::<String, _>(col)?).map_err(|_| StoreError::Corrupt("case id"))
    };
    let duplicate: Option<String> = r.try_get("duplicate_verification_id")?;
    Ok(Case {
        case_id: uuid("id")?,
        verification_id: uuid("verification_id")?,
        subject_ref: r.try_get("subject_ref")?,
        status: CaseStatus::parse(&r.try_get::<String, _>("status")?).ok_or(StoreError::Corrupt("status"))?,
        reasons: serde_json::from_str(&r.try_get::<String, _>("reasons")?)
            .map_err(|_| StoreError::Corrupt("reasons"))?,
        similarity: r.try_get("similarity")?,
        live_score: r.try_get("live_score")?,
        duplicate_verification_id: duplicate.and_then(|d| Uuid::parse_str(&d).ok()),
        duplicate_score: r.try_get("duplicate_score")?,
        assigned_to: r.try_get("assigned_to")?,
        outcome: r.try_get("outcome")?,
        proposed_by: r.try_get("proposed_by")?,
        comment: r.try_get("comment")?,
        signed_off_by: r.try_get("signed_off_by")?,
        created_at: r.try_get("created_at")?,
        closed_at: r.try_get("closed_at")?,
    })
}

pub async fn get(conn: &mut AnyConnection, id: Uuid) -> Result<Case, StoreError> {
    let row =
        sqlx::query(&format!("SELECT {COLUMNS} FROM cases WHERE id = $1")).bind(id.to_string()).fetch_one(conn).await?;
    parse(&row)
}

pub async fn by_verification(conn: &mut AnyConnection, verification_id: Uuid) -> Result<Option<Case>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM cases WHERE verification_id = $1"))
        .bind(verification_id.to_string())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(parse).transpose()
}

/// Oldest first; `reason` matches one of the case's reason codes.
pub async fn list(
    conn: &mut AnyConnection,
    status: Option<CaseStatus>,
    reason: Option<Reason>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Case>, StoreError> {
    // `reasons` holds a JSON array of codes: match the quoted code, with LIKE's wildcards escaped.
    let reason = reason
        .and_then(|r| serde_json::to_string(&r).ok())
        .map(|quoted| format!("%{}%", quoted.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM cases
         WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR reasons LIKE $2 ESCAPE '\\')
         ORDER BY created_at, id LIMIT $3 OFFSET $4"
    ))
    .bind(status.map(CaseStatus::as_str))
    .bind(reason)
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await?;
    rows.iter().map(parse).collect()
}

pub async fn assign(conn: &mut AnyConnection, id: Uuid, analyst: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE cases SET assigned_to = $1 WHERE id = $2 AND status != 'closed'")
        .bind(analyst)
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// An analyst's decision on an open case: `to` is `Closed` (cleared) or `PendingSignoff` (fraud proposed).
pub async fn propose(
    conn: &mut AnyConnection,
    id: Uuid,
    outcome: &str,
    to: CaseStatus,
    actor: &str,
    comment: &str,
) -> Result<bool, StoreError> {
    let closed_at = (to == CaseStatus::Closed).then(now_rfc3339).transpose()?;
    let done = sqlx::query(
        "UPDATE cases SET status = $1, outcome = $2, proposed_by = $3, comment = $4, closed_at = $5
         WHERE id = $6 AND status = 'open'",
    )
    .bind(to.as_str())
    .bind(outcome)
    .bind(actor)
    .bind(comment)
    .bind(closed_at)
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A supervisor's sign-off (or overruling) of a proposed fraud confirmation; closes the case.
pub async fn sign_off(
    conn: &mut AnyConnection,
    id: Uuid,
    outcome: &str,
    actor: &str,
    comment: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE cases SET status = 'closed', outcome = $1, signed_off_by = $2,
             comment = coalesce(comment, '') || $3, closed_at = $4
         WHERE id = $5 AND status = 'pending_signoff'",
    )
    .bind(outcome)
    .bind(actor)
    .bind(format!("\n{comment}"))
    .bind(now_rfc3339()?)
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Crops of a subject, deleted with its biometrics.
pub async fn delete_subject_crops(conn: &mut AnyConnection, subject: &str) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM case_crops WHERE subject_ref = $1").bind(subject).execute(conn).await?;
    Ok(done.rows_affected())
}
