//! The KEK check at start and after rotation: the configured key must be the one the database's keys are wrapped
//! with (see `vault::check`). Databases from before check values existed are probed once through a stored data
//! key or TOTP seed, then get their check value.

use sqlx::{AnyConnection, Row};

use super::{now_rfc3339, Store, StoreError};
use crate::vault::{self, check, DataKey, Kek, KekMismatch, WrappedKey};

#[derive(Debug, thiserror::Error)]
pub enum KekCheckError {
    #[error(transparent)]
    Mismatch(#[from] KekMismatch),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for KekCheckError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

/// Refuses `kek` unless it opens the stored check value, or (no check value yet) every stored key probe; records
/// the check value when there was none.
pub async fn verify_or_record(store: &Store, kek: &Kek) -> Result<(), KekCheckError> {
    let mut tx = store.begin().await?;
    let stored = sqlx::query("SELECT kek_id, check_value FROM kek_checks").fetch_all(&mut *tx).await?;
    if let Some(row) = stored.first() {
        let stored_id: String = row.try_get("kek_id")?;
        if stored_id != kek.id() {
            return Err(KekMismatch::OtherId { stored: stored_id, configured: kek.id().to_owned() }.into());
        }
        if !check::matches(kek, &row.try_get::<Vec<u8>, _>("check_value")?) {
            return Err(KekMismatch::WrongKey(stored_id).into());
        }
        return Ok(());
    }
    probe_legacy(&mut tx, kek).await?;
    // Replicas starting together race here: the first value in wins, and every replica checks against it.
    let value = check::check_value(kek).map_err(StoreError::Vault)?;
    sqlx::query("INSERT INTO kek_checks (kek_id, check_value, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(kek.id())
        .bind(value)
        .bind(now_rfc3339()?)
        .execute(&mut *tx)
        .await?;
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(kek_id = kek.id(), "key check value recorded");
    Box::pin(verify_or_record(store, kek)).await
}

/// Replaces the check value by `kek`'s, inside the caller's transaction (key rotation).
pub async fn record(conn: &mut AnyConnection, kek: &Kek) -> Result<(), StoreError> {
    let value = check::check_value(kek).map_err(StoreError::Vault)?;
    sqlx::query("DELETE FROM kek_checks").execute(&mut *conn).await?;
    sqlx::query("INSERT INTO kek_checks (kek_id, check_value, created_at) VALUES ($1, $2, $3)")
        .bind(kek.id())
        .bind(value)
        .bind(now_rfc3339()?)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Before check values: one data key of each stored KEK id, one TOTP seed and the service keys must open under
/// `kek`.
async fn probe_legacy(conn: &mut AnyConnection, kek: &Kek) -> Result<(), KekCheckError> {
    let ids = sqlx::query("SELECT DISTINCT kek_id FROM subject_keys").fetch_all(&mut *conn).await?;
    for row in &ids {
        let id: String = row.try_get("kek_id")?;
        if id != kek.id() {
            return Err(KekMismatch::OtherId { stored: id, configured: kek.id().to_owned() }.into());
        }
    }
    let key = sqlx::query("SELECT subject_ref, kek_id, wrapped_dek FROM subject_keys LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(r) = key {
        let subject: String = r.try_get("subject_ref")?;
        let wrapped = WrappedKey { kek_id: r.try_get("kek_id")?, blob: r.try_get("wrapped_dek")? };
        if DataKey::unwrap(&wrapped, kek, &subject).is_err() {
            return Err(KekMismatch::WrongKey(kek.id().to_owned()).into());
        }
    }
    let service =
        sqlx::query("SELECT kind, kek_id, wrapped, chain_from FROM service_keys").fetch_all(&mut *conn).await?;
    if let Some(first) = service.first() {
        let chain_from: i64 = first.try_get("chain_from")?;
        let wrapped = service
            .iter()
            .map(|r| {
                Ok(vault::WrappedServiceKey {
                    kind: r.try_get("kind")?,
                    kek_id: r.try_get("kek_id")?,
                    blob: r.try_get("wrapped")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        match vault::ServiceKeys::unwrap(&wrapped, kek, chain_from) {
            Ok(_) => {}
            Err(vault::VaultError::UnknownKek(stored)) => {
                return Err(KekMismatch::OtherId { stored, configured: kek.id().to_owned() }.into())
            }
            Err(_) => return Err(KekMismatch::WrongKey(kek.id().to_owned()).into()),
        }
    }
    let seed = sqlx::query("SELECT username, totp_sealed FROM staff_users LIMIT 1").fetch_optional(&mut *conn).await?;
    if let Some(r) = seed {
        let aad = crate::auth::totp_aad(&r.try_get::<String, _>("username")?);
        if vault::open_secret(kek, &r.try_get::<Vec<u8>, _>("totp_sealed")?, &aad).is_err() {
            return Err(KekMismatch::WrongKey(kek.id().to_owned()).into());
        }
    }
    Ok(())
}
