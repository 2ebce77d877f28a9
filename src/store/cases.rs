//! Review cases and their sealed face crops.

use serde::Serialize;
use sqlx::AnyConnection;
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
    Ok(sqlx::query_scalar("SELECT sealed FROM case_crops WHERE case_id = $1 AND kind = $2")
        .bind(case_id.to_string())
        .bind(kind)
        .fetch_one(conn)
        .await?)
}

const COLUMNS: &str = "id, verification_id, subject_ref, status, reasons, similarity, live_score,
    duplicate_verification_id, duplicate_score, assigned_to, outcome, proposed_by, comment, signed_off_by,
    created_at, closed_at";

/// A `cases` row as stored: ids, status and reasons are parsed on the way out.
#[derive(sqlx::FromRow)]
struct CaseRow {
    id: String,
    verification_id: String,
    subject_ref: String,
    status: String,
    reasons: String,
    similarity: Option<f64>,
    live_score: Option<f64>,
    duplicate_verification_id: Option<String>,
    duplicate_score: Option<f64>,
    assigned_to: Option<String>,
    outcome: Option<String>,
    proposed_by: Option<String>,
    comment: Option<String>,
    signed_off_by: Option<String>,
    created_at: String,
    closed_at: Option<String>,
}

impl TryFrom<CaseRow> for Case {
    type Error = StoreError;

    fn try_from(r: CaseRow) -> Result<Self, StoreError> {
        let uuid = |s: &str| Uuid::parse_str(s).map_err(|_| StoreError::Corrupt("case id"));
        Ok(Case {
            case_id: uuid(&r.id)?,
            verification_id: uuid(&r.verification_id)?,
            subject_ref: r.subject_ref,
            status: CaseStatus::parse(&r.status).ok_or(StoreError::Corrupt("status"))?,
            reasons: serde_json::from_str(&r.reasons).map_err(|_| StoreError::Corrupt("reasons"))?,
            similarity: r.similarity,
            live_score: r.live_score,
            duplicate_verification_id: r.duplicate_verification_id.and_then(|d| Uuid::parse_str(&d).ok()),
            duplicate_score: r.duplicate_score,
            assigned_to: r.assigned_to,
            outcome: r.outcome,
            proposed_by: r.proposed_by,
            comment: r.comment,
            signed_off_by: r.signed_off_by,
            created_at: r.created_at,
            closed_at: r.closed_at,
        })
    }
}

pub async fn get(conn: &mut AnyConnection, id: Uuid) -> Result<Case, StoreError> {
    let row = sqlx::query_as::<_, CaseRow>(&format!("SELECT {COLUMNS} FROM cases WHERE id = $1"))
        .bind(id.to_string())
        .fetch_one(conn)
        .await?;
    row.try_into()
}

pub async fn by_verification(conn: &mut AnyConnection, verification_id: Uuid) -> Result<Option<Case>, StoreError> {
    let row = sqlx::query_as::<_, CaseRow>(&format!("SELECT {COLUMNS} FROM cases WHERE verification_id = $1"))
        .bind(verification_id.to_string())
        .fetch_optional(conn)
        .await?;
    row.map(Case::try_from).transpose()
}

/// The order of a case list, by when cases were opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Oldest,
    Newest,
}

impl Sort {
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Oldest => "oldest",
            Sort::Newest => "newest",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Sort::Oldest, Sort::Newest].into_iter().find(|o| o.as_str() == s)
    }

    /// Two opening times (RFC 3339, UTC) in this order.
    pub fn order(self, a: &str, b: &str) -> std::cmp::Ordering {
        match self {
            Sort::Oldest => a.cmp(b),
            Sort::Newest => b.cmp(a),
        }
    }
}

/// Oldest or newest first; `reason` matches one of the case's reason codes.
pub async fn list(
    conn: &mut AnyConnection,
    status: Option<CaseStatus>,
    reason: Option<Reason>,
    sort: Sort,
    limit: i64,
    offset: i64,
) -> Result<Vec<Case>, StoreError> {
    // `reasons` holds a JSON array of codes: match the quoted code, with LIKE's wildcards escaped.
    let reason = reason
        .and_then(|r| serde_json::to_string(&r).ok())
        .map(|quoted| format!("%{}%", quoted.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    let order = match sort {
        Sort::Oldest => "created_at, id",
        Sort::Newest => "created_at DESC, id DESC",
    };
    let rows = sqlx::query_as::<_, CaseRow>(&format!(
        "SELECT {COLUMNS} FROM cases
         WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR reasons LIKE $2 ESCAPE '\\')
         ORDER BY {order} LIMIT $3 OFFSET $4"
    ))
    .bind(status.map(CaseStatus::as_str))
    .bind(reason)
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(Case::try_from).collect()
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
