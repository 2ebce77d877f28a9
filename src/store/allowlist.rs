//! The allowlist's rows: pairs of subjects (keyed pseudonyms, the smaller first) whose mutual 1:N hits are not
//! flagged. No biometric data.

use sqlx::AnyConnection;
use uuid::Uuid;

use super::{now_rfc3339, StoreError};

/// An entry as listed: ids, who and when; no subject.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Entry {
    pub id: String,
    pub case_id: String,
    pub added_by: String,
    pub created_at: String,
}

/// Adds the pair (`a`, `b` in any order); a pair already listed is a `Conflict`.
pub async fn insert(
    conn: &mut AnyConnection,
    id: Uuid,
    case_id: Uuid,
    a: &str,
    b: &str,
    added_by: &str,
) -> Result<(), StoreError> {
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    sqlx::query(
        "INSERT INTO allowlist (id, case_id, subject_a, subject_b, added_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.to_string())
    .bind(case_id.to_string())
    .bind(a)
    .bind(b)
    .bind(added_by)
    .bind(now_rfc3339()?)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Entry>, StoreError> {
    Ok(sqlx::query_as::<_, Entry>("SELECT id, case_id, added_by, created_at FROM allowlist ORDER BY created_at, id")
        .fetch_all(conn)
        .await?)
}

/// Removes entry `id`; whether it existed.
pub async fn delete(conn: &mut AnyConnection, id: Uuid) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM allowlist WHERE id = $1").bind(id.to_string()).execute(conn).await?;
    Ok(done.rows_affected() > 0)
}

/// The pseudonyms paired with `pseudonym`.
pub async fn partners(conn: &mut AnyConnection, pseudonym: &str) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query_as::<_, (String, String)>(
        "SELECT subject_a, subject_b FROM allowlist WHERE subject_a = $1 OR subject_b = $1",
    )
    .bind(pseudonym)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(a, b)| if a == pseudonym { b } else { a }).collect())
}

/// Removes every pair of `pseudonym` (erasure).
pub async fn delete_subject(conn: &mut AnyConnection, pseudonym: &str) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM allowlist WHERE subject_a = $1 OR subject_b = $1")
        .bind(pseudonym)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
