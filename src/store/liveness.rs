//! Liveness sessions and the frames every attempt sent (as keyed hashes). The session row holds the challenge, the
//! state, the attempts used and each failed attempt's codes; the sealed best frame of a passed session lives only
//! until a verification takes it or the use window ends.

use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::{BindScore, StoreError};
use crate::domain::Purpose;

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Attempts may be sent.
    Open,
    /// An attempt passed: a verification may use the session once.
    Live,
    /// The last attempt failed.
    Failed,
    /// A verification used it.
    Used,
}

impl SessionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Open => "open",
            SessionState::Live => "live",
            SessionState::Failed => "failed",
            SessionState::Used => "used",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "open" => SessionState::Open,
            "live" => SessionState::Live,
            "failed" => SessionState::Failed,
            "used" => SessionState::Used,
            _ => return Err(StoreError::Corrupt("liveness session state")),
        })
    }
}

pub struct NewSession<'a> {
    pub id: Uuid,
    pub client: &'a str,
    pub subject_ref: &'a str,
    pub purpose: Purpose,
    pub consent_ref: &'a str,
    pub token_hash: &'a str,
    pub challenge_json: &'a str,
    pub created_at: &'a str,
    pub expires_at: &'a str,
}

/// A stored session (the sealed frame is read on its own, by `best_frame`).
pub struct StoredSession {
    pub id: Uuid,
    pub client: String,
    pub subject_ref: String,
    pub purpose: Purpose,
    pub consent_ref: String,
    pub token_hash: String,
    pub challenge_json: String,
    pub state: SessionState,
    pub attempts_used: u32,
    /// JSON array: one array of failure codes per failed attempt.
    pub failures_json: String,
    pub live_score: Option<f32>,
    pub created_at: String,
    pub expires_at: String,
    pub finished_at: Option<String>,
}

impl std::fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSession").field("id", &self.id).field("state", &self.state).finish_non_exhaustive()
    }
}

pub async fn insert(conn: &mut AnyConnection, s: &NewSession<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO liveness_sessions (id, client, subject_ref, purpose, consent_ref, token_hash, challenge, state,
             attempts_used, failures, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', 0, '[]', $8, $9)",
    )
    .bind(s.id.to_string())
    .bind(s.client)
    .bind(s.subject_ref)
    .bind(s.purpose.as_str())
    .bind(s.consent_ref)
    .bind(s.token_hash)
    .bind(s.challenge_json)
    .bind(s.created_at)
    .bind(s.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

const COLUMNS: &str = "id, client, subject_ref, purpose, consent_ref, token_hash, challenge, state, attempts_used, \
                       failures, live_score, created_at, expires_at, finished_at";

pub async fn get(conn: &mut AnyConnection, id: Uuid) -> Result<StoredSession, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM liveness_sessions WHERE id = $1"))
        .bind(id.to_string())
        .fetch_one(conn)
        .await?;
    from_row(&row)
}

/// The session a verification used, or whose failure it records.
pub async fn by_verification(
    conn: &mut AnyConnection,
    verification: Uuid,
) -> Result<Option<StoredSession>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM liveness_sessions WHERE verification_id = $1"))
        .bind(verification.to_string())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<StoredSession, StoreError> {
    let id: String = row.try_get("id")?;
    let id = Uuid::parse_str(&id).map_err(|_| StoreError::Corrupt("liveness session id"))?;
    let purpose: String = row.try_get("purpose")?;
    let state: String = row.try_get("state")?;
    let attempts: i64 = row.try_get("attempts_used")?;
    let live_score: Option<f64> = row.try_get("live_score")?;
    Ok(StoredSession {
        id,
        client: row.try_get("client")?,
        subject_ref: row.try_get("subject_ref")?,
        purpose: Purpose::parse(&purpose).ok_or(StoreError::Corrupt("liveness session purpose"))?,
        consent_ref: row.try_get("consent_ref")?,
        token_hash: row.try_get("token_hash")?,
        challenge_json: row.try_get("challenge")?,
        state: SessionState::parse(&state)?,
        attempts_used: u32::try_from(attempts).map_err(|_| StoreError::Corrupt("liveness attempts"))?,
        failures_json: row.try_get("failures")?,
        live_score: live_score.map(|s| s as f32),
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        finished_at: row.try_get("finished_at")?,
    })
}

/// Takes one attempt of an open session, unless `max_attempts` are used: the conditional update makes parallel
/// uploads take one attempt each, never more than the session has. Returns whether an attempt was taken.
pub async fn take_attempt(conn: &mut AnyConnection, id: Uuid, max_attempts: u32) -> Result<bool, StoreError> {
    let taken = sqlx::query(
        "UPDATE liveness_sessions SET attempts_used = attempts_used + 1
         WHERE id = $1 AND state = 'open' AND attempts_used < $2",
    )
    .bind(id.to_string())
    .bind(i64::from(max_attempts))
    .execute(conn)
    .await?
    .rows_affected();
    Ok(taken == 1)
}

/// Records that `hash` (a keyed hash of one frame's bytes) was sent in `session`; `false` when it was seen before.
pub async fn note_frame(conn: &mut AnyConnection, hash: &str, session: Uuid, at: &str) -> Result<bool, StoreError> {
    let result = sqlx::query("INSERT INTO liveness_frames_seen (hash, session_id, created_at) VALUES ($1, $2, $3)")
        .bind(hash)
        .bind(session.to_string())
        .bind(at)
        .execute(conn)
        .await;
    match result {
        Ok(_) => Ok(true),
        Err(e) => match StoreError::from(e) {
            StoreError::Conflict => Ok(false),
            other => Err(other),
        },
    }
}

/// A failed attempt's codes, appended; `finished` (the last attempt) ends the session as failed, recording the
/// verification that holds its negative result.
pub async fn record_failure(
    conn: &mut AnyConnection,
    id: Uuid,
    failures_json: &str,
    finished: Option<(&str, Uuid)>,
) -> Result<(), StoreError> {
    match finished {
        None => {
            sqlx::query("UPDATE liveness_sessions SET failures = $2 WHERE id = $1 AND state = 'open'")
                .bind(id.to_string())
                .bind(failures_json)
                .execute(conn)
                .await?
        }
        Some((at, verification)) => {
            sqlx::query(
                "UPDATE liveness_sessions SET failures = $2, state = 'failed', finished_at = $3, verification_id = $4
             WHERE id = $1 AND state = 'open'",
            )
            .bind(id.to_string())
            .bind(failures_json)
            .bind(at)
            .bind(verification.to_string())
            .execute(conn)
            .await?
        }
    };
    Ok(())
}

/// The attempt passed: the session is live, holding the sealed best frame and its passive score.
pub async fn record_pass(
    conn: &mut AnyConnection,
    id: Uuid,
    sealed_frame: &[u8],
    live_score: f32,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE liveness_sessions SET state = 'live', best_frame = $2, finished_at = $4, live_score = $3
         WHERE id = $1 AND state = 'open'",
    )
    .bind(id.to_string())
    .bind(sealed_frame)
    .bind_score(Some(live_score))
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The sealed best frame of a live session.
pub async fn best_frame(conn: &mut AnyConnection, id: Uuid) -> Result<Option<Vec<u8>>, StoreError> {
    let row = sqlx::query("SELECT best_frame FROM liveness_sessions WHERE id = $1 AND state = 'live'")
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?;
    Ok(match row {
        Some(row) => row.try_get("best_frame")?,
        None => None,
    })
}

/// A verification used the live session: its frame is deleted. `Conflict` when another verification took it first.
pub async fn mark_used(conn: &mut AnyConnection, id: Uuid, verification: Uuid) -> Result<(), StoreError> {
    let used = sqlx::query(
        "UPDATE liveness_sessions SET state = 'used', best_frame = NULL, verification_id = $2
         WHERE id = $1 AND state = 'live'",
    )
    .bind(id.to_string())
    .bind(verification.to_string())
    .execute(conn)
    .await?
    .rows_affected();
    if used == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict)
    }
}

/// Deletes the sealed frames of live sessions that passed before `cutoff` and were never used (retention: the frame
/// exists only for the verification that follows the capture). Returns how many.
pub async fn drop_stale_frames(conn: &mut AnyConnection, cutoff: &str) -> Result<u64, StoreError> {
    Ok(sqlx::query("UPDATE liveness_sessions SET best_frame = NULL WHERE best_frame IS NOT NULL AND finished_at < $1")
        .bind(cutoff)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Deletes sessions created before `cutoff`, with their frame hashes. Returns how many sessions.
pub async fn delete_created_before(conn: &mut AnyConnection, cutoff: &str) -> Result<u64, StoreError> {
    sqlx::query(
        "DELETE FROM liveness_frames_seen WHERE session_id IN (SELECT id FROM liveness_sessions WHERE created_at < $1)",
    )
    .bind(cutoff)
    .execute(&mut *conn)
    .await?;
    Ok(sqlx::query("DELETE FROM liveness_sessions WHERE created_at < $1")
        .bind(cutoff)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Deletes a subject's sessions and their frame hashes (erasure). Returns how many sessions.
pub async fn delete_subject(conn: &mut AnyConnection, subject: &str) -> Result<u64, StoreError> {
    sqlx::query(
        "DELETE FROM liveness_frames_seen WHERE session_id IN
             (SELECT id FROM liveness_sessions WHERE subject_ref = $1)",
    )
    .bind(subject)
    .execute(&mut *conn)
    .await?;
    Ok(sqlx::query("DELETE FROM liveness_sessions WHERE subject_ref = $1")
        .bind(subject)
        .execute(conn)
        .await?
        .rows_affected())
}
