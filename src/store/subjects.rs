//! Everything stored about one subject: erasure and the query that proves it.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::StoreError;

/// Rows still referring to a subject, per table. All zero after erasure (the audit log keeps its references: it is
/// the record of processing the law requires, and holds no biometric data).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Residue {
    pub verifications: i64,
    pub templates: i64,
    pub subject_keys: i64,
    pub cases: i64,
    pub case_crops: i64,
    pub active_consents: i64,
    /// Templates of the subject in the in-memory gallery (filled in by the caller).
    pub gallery: i64,
}

impl Residue {
    pub fn is_empty(&self) -> bool {
        *self == Residue::default()
    }
}

pub async fn residue(conn: &mut AnyConnection, subject: &str) -> Result<Residue, StoreError> {
    let row = sqlx::query(
        "SELECT
            (SELECT COUNT(*) FROM verifications WHERE applicant_ref = $1) AS verifications,
            (SELECT COUNT(*) FROM templates WHERE subject_ref = $1) AS templates,
            (SELECT COUNT(*) FROM subject_keys WHERE subject_ref = $1) AS subject_keys,
            (SELECT COUNT(*) FROM cases WHERE subject_ref = $1) AS cases,
            (SELECT COUNT(*) FROM case_crops WHERE subject_ref = $1) AS case_crops,
            (SELECT COUNT(*) FROM consents WHERE subject_ref = $1 AND withdrawn_at IS NULL) AS active_consents",
    )
    .bind(subject)
    .fetch_one(conn)
    .await?;
    Ok(Residue {
        verifications: row.try_get("verifications")?,
        templates: row.try_get("templates")?,
        subject_keys: row.try_get("subject_keys")?,
        cases: row.try_get("cases")?,
        case_crops: row.try_get("case_crops")?,
        active_consents: row.try_get("active_consents")?,
        gallery: 0,
    })
}

/// Crypto-shreds and deletes the subject's biometric data, cases and verification records, and withdraws its
/// consents, inside the caller's transaction. Returns what was there before.
pub async fn erase(conn: &mut AnyConnection, subject: &str) -> Result<Residue, StoreError> {
    let before = residue(&mut *conn, subject).await?;
    super::biometrics::shred_subject(&mut *conn, subject).await?;
    for sql in [
        "DELETE FROM case_crops WHERE subject_ref = $1",
        "DELETE FROM cases WHERE subject_ref = $1",
        "DELETE FROM verifications WHERE applicant_ref = $1",
    ] {
        sqlx::query(sql).bind(subject).execute(&mut *conn).await?;
    }
    sqlx::query("UPDATE consents SET withdrawn_at = $1 WHERE subject_ref = $2 AND withdrawn_at IS NULL")
        .bind(super::now_rfc3339()?)
        .bind(subject)
        .execute(&mut *conn)
        .await?;
    Ok(before)
}
