//! The verifications table.

use sqlx::AnyConnection;
use uuid::Uuid;

use super::{now_rfc3339, BindScore, Store, StoreError};
use crate::domain::{Decision, Liveness, Reason, Verdict, VerificationMeta};

/// A verification about to be stored.
pub struct NewVerification<'a> {
    pub id: Uuid,
    /// The service account that asked; scopes reads and idempotency keys.
    pub client: &'a str,
    pub meta: &'a VerificationMeta,
    pub idempotency_key: Option<&'a str>,
    pub request_digest: &'a str,
    pub verdict: &'a Verdict,
    pub similarity: Option<f32>,
    pub live_score: Option<f32>,
    /// Live vs the state-database reference photo, when one was given (its source is `meta.reference_source`).
    pub reference_similarity: Option<f32>,
    /// The 1:N duplicate bar the faces were searched at (`None`: nothing was searched).
    pub duplicate_bar: Option<f32>,
}

/// What a client may read back.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredVerification {
    pub id: Uuid,
    /// The service account that created it (`None` for rows from before clients were recorded).
    pub client: Option<String>,
    pub applicant_ref: String,
    pub verdict: Verdict,
    pub request_digest: String,
}

/// An idempotency key as stored: scoped to its client, so two clients' keys never meet.
fn scoped_key(client: &str, key: &str) -> String {
    format!("{client}\u{1f}{key}")
}

/// Inserts inside the caller's transaction (with the sealed template and the audit row).
pub async fn insert_verification(conn: &mut AnyConnection, v: &NewVerification<'_>) -> Result<(), StoreError> {
    let reasons = serde_json::to_string(&v.verdict.reasons).map_err(|_| StoreError::Corrupt("reasons"))?;
    let now = now_rfc3339()?;
    sqlx::query(
        "INSERT INTO verifications (id, applicant_ref, purpose, consent_ref, idempotency_key, request_digest,
                 decision, liveness, reasons, similarity, live_score, created_at, client, reference_source,
                 reference_similarity, duplicate_bar)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(v.id.to_string())
    .bind(v.meta.applicant_ref.expose())
    .bind(v.meta.purpose.as_str())
    .bind(v.meta.consent_ref.expose())
    .bind(v.idempotency_key.map(|key| scoped_key(v.client, key)))
    .bind(v.request_digest)
    .bind(v.verdict.decision.as_str())
    .bind(v.verdict.liveness.as_str())
    .bind(reasons)
    .bind_score(v.similarity)
    .bind_score(v.live_score)
    .bind(now)
    .bind(v.client)
    .bind(v.meta.reference_source.as_ref().map(|s| s.as_str().to_owned()))
    .bind_score(v.reference_similarity)
    .bind_score(v.duplicate_bar)
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    pub async fn verification(&self, id: Uuid) -> Result<StoredVerification, StoreError> {
        let row = sqlx::query_as::<_, VerificationRow>(
            "SELECT id, client, applicant_ref, decision, liveness, reasons, request_digest FROM verifications WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_one(&self.pool)
        .await?;
        row.try_into()
    }

    /// `client`'s earlier verification under idempotency key `key`.
    pub async fn verification_by_idempotency_key(
        &self,
        client: &str,
        key: &str,
    ) -> Result<Option<StoredVerification>, StoreError> {
        let row = sqlx::query_as::<_, VerificationRow>(
            "SELECT id, client, applicant_ref, decision, liveness, reasons, request_digest
             FROM verifications WHERE idempotency_key = $1",
        )
        .bind(scoped_key(client, key))
        .fetch_optional(&self.pool)
        .await?;
        row.map(StoredVerification::try_from).transpose()
    }

    pub async fn count_verifications(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM verifications").fetch_one(&self.pool).await?)
    }
}

/// A `verifications` row as stored: id, decision, liveness and reasons are parsed on the way out.
#[derive(sqlx::FromRow)]
struct VerificationRow {
    id: String,
    client: Option<String>,
    applicant_ref: String,
    decision: String,
    liveness: String,
    reasons: String,
    request_digest: String,
}

impl TryFrom<VerificationRow> for StoredVerification {
    type Error = StoreError;

    fn try_from(r: VerificationRow) -> Result<Self, StoreError> {
        let id = Uuid::parse_str(&r.id).map_err(|_| StoreError::Corrupt("id"))?;
        let decision = Decision::parse(&r.decision).ok_or(StoreError::Corrupt("decision"))?;
        let liveness = Liveness::parse(&r.liveness).ok_or(StoreError::Corrupt("liveness"))?;
        let reasons: Vec<Reason> = serde_json::from_str(&r.reasons).map_err(|_| StoreError::Corrupt("reasons"))?;
        Ok(Self {
            id,
            client: r.client,
            applicant_ref: r.applicant_ref,
            verdict: Verdict { decision, liveness, reasons },
            request_digest: r.request_digest,
        })
    }
}

/// Everything stored about one verification, for its evidence record (`crate::evidence`).
#[derive(sqlx::FromRow)]
pub struct EvidenceRow {
    pub client: Option<String>,
    pub applicant_ref: String,
    pub purpose: String,
    pub decision: String,
    pub liveness: String,
    pub reasons: String,
    pub similarity: Option<f64>,
    pub live_score: Option<f64>,
    pub duplicate_bar: Option<f64>,
    pub reference_source: Option<String>,
    pub reference_similarity: Option<f64>,
    pub request_digest: String,
    pub created_at: String,
}

pub async fn evidence_row(conn: &mut AnyConnection, id: Uuid) -> Result<Option<EvidenceRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT client, applicant_ref, purpose, decision, liveness, reasons, similarity, live_score, duplicate_bar,
                reference_source, reference_similarity, request_digest, created_at
         FROM verifications WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?)
}
