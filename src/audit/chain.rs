//! Appending to and verifying the hash chain.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use super::Action;
use crate::domain::Purpose;
use crate::store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Denied,
    Failure,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failure => "failure",
        }
    }
}

/// One audited action. `subject_ref` is the lender's applicant reference; never biometric data.
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    pub actor: &'a str,
    pub role: &'a str,
    pub action: Action,
    pub purpose: Option<Purpose>,
    pub subject_ref: Option<&'a str>,
    pub result: Outcome,
    pub request_id: Option<&'a str>,
}

/// A stored row, as exported to auditors.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub purpose: Option<String>,
    pub subject_ref: Option<String>,
    pub result: String,
    pub request_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRow {
    fn digest(&self) -> String {
        let mut h = Sha256::new();
        for field in [
            self.prev_hash.as_str(),
            &self.seq.to_string(),
            &self.at,
            &self.actor,
            &self.role,
            &self.action,
            self.purpose.as_deref().unwrap_or(""),
            self.subject_ref.as_deref().unwrap_or(""),
            &self.result,
            self.request_id.as_deref().unwrap_or(""),
        ] {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// Appends `event` inside the caller's transaction, which must come from `Store::begin_write` (it holds the
/// head row's lock, so the previous link cannot change under it).
pub async fn append(conn: &mut AnyConnection, event: &AuditEvent<'_>) -> Result<i64, StoreError> {
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&mut *conn).await?;
    let mut row = AuditRow {
        seq: head.try_get::<i64, _>("seq")? + 1,
        at: crate::store::now_rfc3339()?,
        actor: event.actor.to_owned(),
        role: event.role.to_owned(),
        action: event.action.as_str().to_owned(),
        purpose: event.purpose.map(|p| p.as_str().to_owned()),
        subject_ref: event.subject_ref.map(str::to_owned),
        result: event.result.as_str().to_owned(),
        request_id: event.request_id.map(str::to_owned),
        prev_hash: head.try_get("hash")?,
        hash: String::new(),
    };
    row.hash = row.digest();
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, role, action, purpose, subject_ref, result, request_id, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(row.seq)
    .bind(&row.at)
    .bind(&row.actor)
    .bind(&row.role)
    .bind(&row.action)
    .bind(&row.purpose)
    .bind(&row.subject_ref)
    .bind(&row.result)
    .bind(&row.request_id)
    .bind(&row.prev_hash)
    .bind(&row.hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(row.seq)
        .bind(&row.hash)
        .execute(&mut *conn)
        .await?;
    Ok(row.seq)
}

pub async fn export(conn: &mut AnyConnection) -> Result<Vec<AuditRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT seq, at, actor, role, action, purpose, subject_ref, result, request_id, prev_hash, hash
         FROM audit_log ORDER BY seq",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditRow {
                seq: r.try_get("seq")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                role: r.try_get("role")?,
                action: r.try_get("action")?,
                purpose: r.try_get("purpose")?,
                subject_ref: r.try_get("subject_ref")?,
                result: r.try_get("result")?,
                request_id: r.try_get("request_id")?,
                prev_hash: r.try_get("prev_hash")?,
                hash: r.try_get("hash")?,
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainBreak {
    /// The row's content does not hash to its stored hash: edited.
    Altered { seq: i64 },
    /// The row does not point at the previous row's hash, or a sequence number is missing: deleted or reordered.
    Unlinked { seq: i64 },
    /// The last row is not the one the head records: the tail was deleted or rewritten.
    HeadMismatch { head_seq: i64, last_seq: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    pub rows: usize,
    pub intact: bool,
    pub first_break: Option<ChainBreak>,
}

/// Walks the whole chain and reports the first break.
pub async fn verify(conn: &mut AnyConnection) -> Result<ChainReport, StoreError> {
    let rows = export(&mut *conn).await?;
    let head =
        sqlx::query("SELECT seq, hash, base_seq, base_hash FROM audit_head WHERE id = 1").fetch_one(&mut *conn).await?;
    let base = (head.try_get::<i64, _>("base_seq")?, head.try_get::<String, _>("base_hash")?);
    let (head_seq, head_hash): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
    let first_break = find_break(&rows, base, head_seq, &head_hash);
    Ok(ChainReport { rows: rows.len(), intact: first_break.is_none(), first_break })
}

/// `base`: the last pruned row (seq, hash), where the retained chain starts; (0, zeros) when nothing was pruned.
fn find_break(rows: &[AuditRow], base: (i64, String), head_seq: i64, head_hash: &str) -> Option<ChainBreak> {
    let (base_seq, mut prev_hash) = base;
    for (i, row) in rows.iter().enumerate() {
        if row.seq != base_seq + i as i64 + 1 || row.prev_hash != prev_hash {
            return Some(ChainBreak::Unlinked { seq: row.seq });
        }
        if row.digest() != row.hash {
            return Some(ChainBreak::Altered { seq: row.seq });
        }
        prev_hash = row.hash.clone();
    }
    let last_seq = rows.last().map_or(base_seq, |r| r.seq);
    (last_seq != head_seq || prev_hash != head_hash).then_some(ChainBreak::HeadMismatch { head_seq, last_seq })
}

/// Removes audit rows recorded before `cutoff` (RFC 3339) and moves the chain's starting point past them, so the
/// retained rows still verify. Inside a `begin_write` transaction. Returns the rows removed.
pub async fn prune(conn: &mut AnyConnection, cutoff: &str) -> Result<u64, StoreError> {
    let last = sqlx::query("SELECT seq, hash FROM audit_log WHERE at < $1 ORDER BY seq DESC LIMIT 1")
        .bind(cutoff)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(last) = last else { return Ok(0) };
    let (seq, hash): (i64, String) = (last.try_get("seq")?, last.try_get("hash")?);
    let done = sqlx::query("DELETE FROM audit_log WHERE seq <= $1").bind(seq).execute(&mut *conn).await?;
    sqlx::query("UPDATE audit_head SET base_seq = $1, base_hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(hash)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}
