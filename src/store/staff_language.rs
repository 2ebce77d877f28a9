//! A staff member's console language (`staff_users.language`: `en`, `ru` or `kk`); NULL until they choose one,
//! and then the browser's Accept-Language decides.

use sqlx::{AnyConnection, Row};

use super::{Store, StoreError};

impl Store {
    /// The language `username` chose; `None` when they chose none (or there is no enabled account of that name).
    pub async fn staff_language(&self, username: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT language FROM staff_users WHERE username = $1 AND disabled_at IS NULL")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<Option<String>, _>("language")).transpose()?.flatten())
    }
}

/// Sets (or, with `None`, clears) `username`'s language in the caller's transaction; false when there is no enabled
/// account of that name.
pub async fn set(conn: &mut AnyConnection, username: &str, language: Option<&str>) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE staff_users SET language = $1 WHERE username = $2 AND disabled_at IS NULL")
        .bind(language)
        .bind(username)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
