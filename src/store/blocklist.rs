//! The blocklist's rows: faces confirmed as fraud, each a case's selfie template sealed under its subject's data
//! key (bound to the entry id). Listings carry ids, reason, who and when, never the sealed bytes.

use sqlx::AnyConnection;
use uuid::Uuid;

use super::{now_rfc3339, StoreError};

pub struct NewEntry<'a> {
    pub id: Uuid,
    pub case_id: Uuid,
    pub verification_id: Uuid,
    pub subject_ref: &'a str,
    pub sealed: &'a [u8],
    pub reason: &'a str,
    pub added_by: &'a str,
    /// The recognition model of the template (bound into `sealed`).
    pub model: &'a str,
}

/// An entry as listed: no template, no subject reference.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Entry {
    pub id: String,
    pub case_id: String,
    pub verification_id: String,
    pub reason: String,
    pub added_by: String,
    pub created_at: String,
}

/// An entry's sealed template, for the in-memory list.
#[derive(sqlx::FromRow)]
pub struct SealedEntry {
    pub id: String,
    pub verification_id: String,
    pub subject_ref: String,
    pub sealed: Vec<u8>,
    pub model: String,
}

/// Adds an entry; a case already on the list is a `Conflict`.
pub async fn insert(conn: &mut AnyConnection, e: &NewEntry<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO blocklist (id, case_id, verification_id, subject_ref, sealed, reason, added_by, created_at, model)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(e.id.to_string())
    .bind(e.case_id.to_string())
    .bind(e.verification_id.to_string())
    .bind(e.subject_ref)
    .bind(e.sealed)
    .bind(e.reason)
    .bind(e.added_by)
    .bind(now_rfc3339()?)
    .bind(e.model)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Entry>, StoreError> {
    Ok(sqlx::query_as::<_, Entry>(
        "SELECT id, case_id, verification_id, reason, added_by, created_at FROM blocklist ORDER BY created_at, id",
    )
    .fetch_all(conn)
    .await?)
}

/// The subject of entry `id` (for the audit row of its removal), if it exists.
pub async fn subject_of(conn: &mut AnyConnection, id: Uuid) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT subject_ref FROM blocklist WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?)
}

/// Removes entry `id`; whether it existed.
pub async fn delete(conn: &mut AnyConnection, id: Uuid) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM blocklist WHERE id = $1").bind(id.to_string()).execute(conn).await?;
    Ok(done.rows_affected() > 0)
}

/// The id of every entry of recognition model `model` (what a synchronisation pass compares with memory).
pub async fn ids(conn: &mut AnyConnection, model: &str) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT id FROM blocklist WHERE model = $1").bind(model).fetch_all(conn).await?)
}

/// The sealed entries with these ids (those still stored).
pub async fn sealed_by_id(conn: &mut AnyConnection, ids: &[Uuid]) -> Result<Vec<SealedEntry>, StoreError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let row = sqlx::query_as::<_, SealedEntry>(
            "SELECT id, verification_id, subject_ref, sealed, model FROM blocklist WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
        out.extend(row);
    }
    Ok(out)
}
