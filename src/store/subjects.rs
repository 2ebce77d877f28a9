//! Everything stored about one subject: erasure and the query that proves it.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::AnyConnection;

use super::{StoreError, WriteTx};

/// What still refers to a subject. All zero after erasure. The audit log and the withdrawn consents keep rows
/// about the subject (the record of processing the law requires; no biometric data), but only under its keyed
/// pseudonym, which is not a copy of the reference.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Residue {
    #[serde(flatten)]
    pub rows: Counts,
    /// Stored values holding the clear reference, per `table.column`, from a scan of every column of every table
    /// (`store::residue`).
    pub stored_copies: BTreeMap<String, i64>,
    /// SQLite: copies of the reference's bytes in the database file and in its write-ahead log that no stored
    /// value accounts for: deleted rows not yet overwritten, older log frames. Always 0 on PostgreSQL.
    pub database_file_copies: i64,
    pub wal_file_copies: i64,
}

impl Residue {
    pub fn is_empty(&self) -> bool {
        *self == Residue::default()
    }
}

/// Rows per table still filed under the subject.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, sqlx::FromRow, utoipa::ToSchema)]
pub struct Counts {
    pub verifications: i64,
    pub templates: i64,
    pub subject_keys: i64,
    pub cases: i64,
    pub case_crops: i64,
    pub active_consents: i64,
    /// Liveness sessions (challenge, outcome, and a passed session's sealed frame until it is used).
    pub liveness_sessions: i64,
    /// Templates of the subject in the in-memory gallery (filled in by the caller).
    #[sqlx(skip)]
    pub gallery: i64,
}

/// The per-table counts; `pseudonym` is the subject's (consents are filed under it).
pub async fn counts(conn: &mut AnyConnection, subject: &str, pseudonym: &str) -> Result<Counts, StoreError> {
    Ok(sqlx::query_as(
        "SELECT
            (SELECT COUNT(*) FROM verifications WHERE applicant_ref = $1) AS verifications,
            (SELECT COUNT(*) FROM templates WHERE subject_ref = $1) AS templates,
            (SELECT COUNT(*) FROM subject_keys WHERE subject_ref = $1) AS subject_keys,
            (SELECT COUNT(*) FROM cases WHERE subject_ref = $1) AS cases,
            (SELECT COUNT(*) FROM case_crops WHERE subject_ref = $1) AS case_crops,
            (SELECT COUNT(*) FROM consents WHERE subject_ref = $2 AND withdrawn_at IS NULL) AS active_consents,
            (SELECT COUNT(*) FROM liveness_sessions WHERE subject_ref = $1) AS liveness_sessions",
    )
    .bind(subject)
    .bind(pseudonym)
    .fetch_one(conn)
    .await?)
}

/// Crypto-shreds and deletes the subject's biometric data, cases (with their notes) and verification records, and withdraws its
/// consents, inside the caller's transaction. Returns what was there before.
pub async fn erase(tx: &mut WriteTx, subject: &str) -> Result<Counts, StoreError> {
    let pseudonym = tx.pseudonym(subject);
    let conn: &mut AnyConnection = tx;
    let before = counts(&mut *conn, subject, &pseudonym).await?;
    super::biometrics::shred_subject(&mut *conn, subject).await?;
    super::allowlist::delete_subject(&mut *conn, &pseudonym).await?;
    super::liveness::delete_subject(&mut *conn, subject).await?;
    for sql in [
        "DELETE FROM case_crops WHERE subject_ref = $1",
        "DELETE FROM case_notes WHERE case_id IN (SELECT id FROM cases WHERE subject_ref = $1)",
        "DELETE FROM cases WHERE subject_ref = $1",
        "DELETE FROM verifications WHERE applicant_ref = $1",
    ] {
        sqlx::query(sql).bind(subject).execute(&mut *conn).await?;
    }
    sqlx::query("UPDATE consents SET withdrawn_at = $1 WHERE subject_ref = $2 AND withdrawn_at IS NULL")
        .bind(super::now_rfc3339()?)
        .bind(&pseudonym)
        .execute(&mut *conn)
        .await?;
    Ok(before)
}
