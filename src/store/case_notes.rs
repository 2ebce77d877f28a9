//! Analysts' notes on a case, oldest first; deleted with the case (erasure, retention's cascade).

use serde::Serialize;
use sqlx::AnyConnection;
use uuid::Uuid;

use super::{now_rfc3339, StoreError};

/// One note as the case view lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CaseNote {
    pub author: String,
    pub text: String,
    /// When it was written (RFC 3339).
    #[sqlx(rename = "created_at")]
    pub at: String,
}

/// Stores a note by `author`; returns it as the case view will list it.
pub async fn insert(conn: &mut AnyConnection, case_id: Uuid, author: &str, text: &str) -> Result<CaseNote, StoreError> {
    let note = CaseNote { author: author.to_owned(), text: text.to_owned(), at: now_rfc3339()? };
    sqlx::query("INSERT INTO case_notes (case_id, author, text, created_at) VALUES ($1, $2, $3, $4)")
        .bind(case_id.to_string())
        .bind(&note.author)
        .bind(&note.text)
        .bind(&note.at)
        .execute(conn)
        .await?;
    Ok(note)
}

pub async fn list(conn: &mut AnyConnection, case_id: Uuid) -> Result<Vec<CaseNote>, StoreError> {
    Ok(sqlx::query_as("SELECT author, text, created_at FROM case_notes WHERE case_id = $1 ORDER BY id")
        .bind(case_id.to_string())
        .fetch_all(conn)
        .await?)
}
