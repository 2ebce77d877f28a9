//! Consent records (policy §4, §7): who consented, when, through which channel, to which text, cross-border or not.
//! The subject is stored as its keyed pseudonym (`subject_scheme = 1`), so a withdrawn or erased subject's consent
//! rows hold no clear reference.

use serde::Serialize;
use sqlx::AnyConnection;
use uuid::Uuid;

use super::{now_rfc3339, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentChannel {
    Checkbox,
    DigitalSignature,
}

impl ConsentChannel {
    fn as_str(self) -> &'static str {
        match self {
            ConsentChannel::Checkbox => "checkbox",
            ConsentChannel::DigitalSignature => "digital_signature",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "checkbox" => Some(Self::Checkbox),
            "digital_signature" => Some(Self::DigitalSignature),
            _ => None,
        }
    }
}

#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct Consent {
    pub consent_id: Uuid,
    /// In clear only in the answer to the request that recorded it (the client sent it); never stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_ref: Option<String>,
    /// What is stored: the subject's keyed pseudonym.
    #[serde(skip)]
    pub subject_pseudonym: String,
    pub channel: ConsentChannel,
    pub text_version: String,
    pub cross_border: bool,
    pub given_at: String,
    pub withdrawn_at: Option<String>,
    /// Who recorded it: for a client, the service account that owns it (never serialised).
    #[serde(skip)]
    pub recorded_by: String,
}

impl std::fmt::Debug for Consent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consent").field("consent_id", &self.consent_id).finish_non_exhaustive()
    }
}

pub struct NewConsent<'a> {
    pub subject_ref: &'a str,
    /// `ServiceKeys::pseudonym(subject_ref)`: what is stored.
    pub subject_pseudonym: &'a str,
    pub channel: ConsentChannel,
    pub text_version: &'a str,
    pub cross_border: bool,
    /// When the subject consented (RFC 3339, UTC); `None`: now.
    pub given_at: Option<String>,
    pub recorded_by: &'a str,
}

pub async fn insert(conn: &mut AnyConnection, c: &NewConsent<'_>) -> Result<Consent, StoreError> {
    let consent = Consent {
        consent_id: Uuid::new_v4(),
        subject_ref: Some(c.subject_ref.to_owned()),
        subject_pseudonym: c.subject_pseudonym.to_owned(),
        channel: c.channel,
        text_version: c.text_version.to_owned(),
        cross_border: c.cross_border,
        given_at: match &c.given_at {
            Some(t) => t.clone(),
            None => now_rfc3339()?,
        },
        withdrawn_at: None,
        recorded_by: c.recorded_by.to_owned(),
    };
    sqlx::query(
        "INSERT INTO consents (id, subject_ref, subject_scheme, channel, text_version, cross_border, given_at,
                               recorded_by)
         VALUES ($1, $2, 1, $3, $4, $5, $6, $7)",
    )
    .bind(consent.consent_id.to_string())
    .bind(&consent.subject_pseudonym)
    .bind(c.channel.as_str())
    .bind(&consent.text_version)
    .bind(i64::from(c.cross_border))
    .bind(&consent.given_at)
    .bind(c.recorded_by)
    .execute(conn)
    .await?;
    Ok(consent)
}

/// A `consents` row as stored (`subject_ref` holds the pseudonym).
#[derive(sqlx::FromRow)]
struct ConsentRow {
    subject_ref: String,
    channel: String,
    text_version: String,
    cross_border: i64,
    given_at: String,
    withdrawn_at: Option<String>,
    recorded_by: String,
}

pub async fn get(conn: &mut AnyConnection, id: Uuid) -> Result<Consent, StoreError> {
    let r = sqlx::query_as::<_, ConsentRow>(
        "SELECT id, subject_ref, channel, text_version, cross_border, given_at, withdrawn_at, recorded_by
         FROM consents WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_one(conn)
    .await?;
    Ok(Consent {
        consent_id: id,
        subject_ref: None,
        subject_pseudonym: r.subject_ref,
        channel: ConsentChannel::parse(&r.channel).ok_or(StoreError::Corrupt("channel"))?,
        text_version: r.text_version,
        cross_border: r.cross_border == 1,
        given_at: r.given_at,
        withdrawn_at: r.withdrawn_at,
        recorded_by: r.recorded_by,
    })
}

/// Marks the consent withdrawn; false when it already was.
pub async fn withdraw(conn: &mut AnyConnection, id: Uuid) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE consents SET withdrawn_at = $1 WHERE id = $2 AND withdrawn_at IS NULL")
        .bind(now_rfc3339()?)
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Active consents of the subject with this pseudonym, whichever client recorded them.
pub async fn active_for(conn: &mut AnyConnection, subject_pseudonym: &str) -> Result<i64, StoreError> {
    let count =
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM consents WHERE subject_ref = $1 AND withdrawn_at IS NULL")
            .bind(subject_pseudonym)
            .fetch_one(conn)
            .await?;
    Ok(count)
}
