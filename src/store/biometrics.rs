//! Sealed templates and the subject data keys that open them. Deleting a subject's key row is the
//! crypto-shred: every template of that subject becomes unrecoverable, then the rows themselves go.

use sqlx::AnyConnection;
use uuid::Uuid;

use super::{now_rfc3339, StoreError, WriteTx};
use crate::domain::Purpose;
use crate::vault::{DataKey, Kek, WrappedKey};

/// The subject's data key, created (and stored wrapped, with the subject's pseudonym for lookups from a consent)
/// on first use.
pub async fn data_key(tx: &mut WriteTx, kek: &Kek, subject: &str) -> Result<DataKey, StoreError> {
    let pseudonym = tx.pseudonym(subject);
    let conn: &mut AnyConnection = tx;
    if let Some(wrapped) = wrapped_key(&mut *conn, subject).await? {
        return DataKey::unwrap(&wrapped, kek, subject).map_err(StoreError::Vault);
    }
    let key = DataKey::generate().map_err(StoreError::Vault)?;
    let wrapped = key.wrap(kek, subject).map_err(StoreError::Vault)?;
    sqlx::query(
        "INSERT INTO subject_keys (subject_ref, pseudonym, kek_id, wrapped_dek, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(subject)
    .bind(pseudonym)
    .bind(&wrapped.kek_id)
        .bind(&wrapped.blob)
        .bind(now_rfc3339()?)
        .execute(&mut *conn)
        .await?;
    Ok(key)
}

pub struct NewTemplate<'a> {
    pub id: Uuid,
    pub verification_id: Uuid,
    pub subject_ref: &'a str,
    pub purpose: Purpose,
    pub sealed: &'a [u8],
    /// The recognition model's sha256 (bound into `sealed`).
    pub model: &'a str,
}

pub async fn insert_template(conn: &mut AnyConnection, t: &NewTemplate<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO templates (id, verification_id, subject_ref, purpose, sealed, created_at, model)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(t.id.to_string())
    .bind(t.verification_id.to_string())
    .bind(t.subject_ref)
    .bind(t.purpose.as_str())
    .bind(t.sealed)
    .bind(now_rfc3339()?)
    .bind(t.model)
    .execute(conn)
    .await?;
    Ok(())
}

/// A sealed template as stored.
pub struct SealedRow {
    pub id: Uuid,
    pub verification_id: Uuid,
    pub subject_ref: String,
    pub purpose: Purpose,
    pub sealed: Vec<u8>,
    /// The recognition model that made it.
    pub model: String,
}

/// A `templates` row as stored: ids and purpose are parsed on the way out.
#[derive(sqlx::FromRow)]
struct TemplateRow {
    id: String,
    verification_id: String,
    subject_ref: String,
    purpose: String,
    sealed: Vec<u8>,
    model: String,
}

impl TryFrom<TemplateRow> for SealedRow {
    type Error = StoreError;

    fn try_from(r: TemplateRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: Uuid::parse_str(&r.id).map_err(|_| StoreError::Corrupt("template id"))?,
            verification_id: Uuid::parse_str(&r.verification_id).map_err(|_| StoreError::Corrupt("verification id"))?,
            subject_ref: r.subject_ref,
            purpose: Purpose::parse(&r.purpose).ok_or(StoreError::Corrupt("purpose"))?,
            sealed: r.sealed,
            model: r.model,
        })
    }
}

/// Every stored template, of whatever model (the vault check opens each under its own).
pub async fn all_templates(conn: &mut AnyConnection) -> Result<Vec<SealedRow>, StoreError> {
    let rows = sqlx::query_as::<_, TemplateRow>(
        "SELECT id, verification_id, subject_ref, purpose, sealed, model FROM templates ORDER BY created_at",
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(SealedRow::try_from).collect()
}

/// The stored templates of recognition model `model` (what a gallery loads; those of another model stay sealed).
pub async fn templates_of_model(conn: &mut AnyConnection, model: &str) -> Result<Vec<SealedRow>, StoreError> {
    let rows = sqlx::query_as::<_, TemplateRow>(
        "SELECT id, verification_id, subject_ref, purpose, sealed, model FROM templates WHERE model = $1
         ORDER BY created_at",
    )
    .bind(model)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(SealedRow::try_from).collect()
}

/// A stored template's ids, without its sealed bytes.
pub struct TemplateIds {
    pub id: Uuid,
    pub verification_id: Uuid,
}

/// The ids of every stored template of recognition model `model` (what a gallery synchronisation pass compares
/// with memory).
pub async fn template_index(conn: &mut AnyConnection, model: &str) -> Result<Vec<TemplateIds>, StoreError> {
    let rows = sqlx::query_as::<_, (String, String)>("SELECT id, verification_id FROM templates WHERE model = $1")
        .bind(model)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|(id, verification_id)| {
            Ok(TemplateIds {
                id: Uuid::parse_str(id).map_err(|_| StoreError::Corrupt("template id"))?,
                verification_id: Uuid::parse_str(verification_id)
                    .map_err(|_| StoreError::Corrupt("verification id"))?,
            })
        })
        .collect()
}

/// How many stored templates come from another recognition model than `model`.
pub async fn count_other_models(conn: &mut AnyConnection, model: &str) -> Result<usize, StoreError> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM templates WHERE model <> $1").bind(model).fetch_one(conn).await?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// The sealed templates with these ids (those still stored).
pub async fn templates_by_id(conn: &mut AnyConnection, ids: &[Uuid]) -> Result<Vec<SealedRow>, StoreError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let row = sqlx::query_as::<_, TemplateRow>(
            "SELECT id, verification_id, subject_ref, purpose, sealed, model FROM templates WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(r) = row {
            out.push(r.try_into()?);
        }
    }
    Ok(out)
}

/// The sealed selfie template of verification `verification_id`, if one is stored.
pub async fn template_of(conn: &mut AnyConnection, verification_id: Uuid) -> Result<Option<SealedRow>, StoreError> {
    let row = sqlx::query_as::<_, TemplateRow>(
        "SELECT id, verification_id, subject_ref, purpose, sealed, model FROM templates WHERE verification_id = $1",
    )
    .bind(verification_id.to_string())
    .fetch_optional(conn)
    .await?;
    row.map(SealedRow::try_from).transpose()
}

/// The wrapped data key of `subject`, if any remains.
pub async fn wrapped_key(conn: &mut AnyConnection, subject: &str) -> Result<Option<WrappedKey>, StoreError> {
    let row =
        sqlx::query_as::<_, (String, Vec<u8>)>("SELECT kek_id, wrapped_dek FROM subject_keys WHERE subject_ref = $1")
            .bind(subject)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(kek_id, blob)| WrappedKey { kek_id, blob }))
}

/// The subject (in clear) whose data key is filed under `pseudonym`: how a withdrawal, which knows the subject
/// only by its consent's pseudonym, finds the biometric data to destroy. `None`: nothing biometric is stored.
pub async fn subject_by_pseudonym(conn: &mut AnyConnection, pseudonym: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT subject_ref FROM subject_keys WHERE pseudonym = $1")
        .bind(pseudonym)
        .fetch_optional(conn)
        .await?)
}

/// Crypto-shreds a subject: destroys its data key, then deletes its templates and blocklist entries. Returns the
/// templates destroyed.
pub async fn shred_subject(conn: &mut AnyConnection, subject: &str) -> Result<u64, StoreError> {
    sqlx::query("DELETE FROM subject_keys WHERE subject_ref = $1").bind(subject).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM blocklist WHERE subject_ref = $1").bind(subject).execute(&mut *conn).await?;
    let done = sqlx::query("DELETE FROM templates WHERE subject_ref = $1").bind(subject).execute(&mut *conn).await?;
    Ok(done.rows_affected())
}

/// Rewraps every data key (and re-seals every staff TOTP seed) from `old` to `new`. Ciphertexts stay untouched.
pub async fn rewrap_all(conn: &mut AnyConnection, old: &Kek, new: &Kek) -> Result<(u64, u64), StoreError> {
    let rows =
        sqlx::query_as::<_, (String, String, Vec<u8>)>("SELECT subject_ref, kek_id, wrapped_dek FROM subject_keys")
            .fetch_all(&mut *conn)
            .await?;
    let mut keys = 0;
    for (subject, kek_id, blob) in rows {
        let wrapped = WrappedKey { kek_id, blob };
        let dek = DataKey::unwrap(&wrapped, old, &subject).map_err(StoreError::Vault)?;
        let rewrapped = dek.wrap(new, &subject).map_err(StoreError::Vault)?;
        sqlx::query("UPDATE subject_keys SET kek_id = $1, wrapped_dek = $2 WHERE subject_ref = $3")
            .bind(&rewrapped.kek_id)
            .bind(&rewrapped.blob)
            .bind(&subject)
            .execute(&mut *conn)
            .await?;
        keys += 1;
    }
    let staff = sqlx::query_as::<_, (String, Vec<u8>)>("SELECT username, totp_sealed FROM staff_users")
        .fetch_all(&mut *conn)
        .await?;
    let mut seeds = 0;
    for (username, sealed) in staff {
        let aad = crate::auth::totp_aad(&username);
        let seed = crate::vault::open_secret(old, &sealed, &aad).map_err(StoreError::Vault)?;
        let resealed = crate::vault::seal_secret(new, &seed, &aad).map_err(StoreError::Vault)?;
        sqlx::query("UPDATE staff_users SET totp_sealed = $1 WHERE username = $2")
            .bind(resealed)
            .bind(&username)
            .execute(&mut *conn)
            .await?;
        seeds += 1;
    }
    Ok((keys, seeds))
}
