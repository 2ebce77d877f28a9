//! The KEK check at start and after rotation: the configured key must be the one the database's keys are wrapped
//! with (see `vault::check`). Databases from before check values existed are probed once through a stored data
//! key or TOTP seed, then get their check value.

use sqlx::AnyConnection;

use super::service_keys::{ServiceKeyRow, SELECT_SERVICE_KEYS};
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
    let stored: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT kek_id, check_value FROM kek_checks").fetch_all(&mut *tx).await?;
    if let Some((stored_id, check_value)) = stored.into_iter().next() {
        if stored_id != kek.id() {
            return Err(KekMismatch::OtherId { stored: stored_id, configured: kek.id().to_owned() }.into());
        }
        if !check::matches(kek, &check_value) {
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
    let ids: Vec<String> = sqlx::query_scalar("SELECT DISTINCT kek_id FROM subject_keys").fetch_all(&mut *conn).await?;
    for id in ids {
        if id != kek.id() {
            return Err(KekMismatch::OtherId { stored: id, configured: kek.id().to_owned() }.into());
        }
    }
    let key: Option<(String, String, Vec<u8>)> =
        sqlx::query_as("SELECT subject_ref, kek_id, wrapped_dek FROM subject_keys LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    if let Some((subject, kek_id, blob)) = key {
        let wrapped = WrappedKey { kek_id, blob };
        if DataKey::unwrap(&wrapped, kek, &subject).is_err() {
            return Err(KekMismatch::WrongKey(kek.id().to_owned()).into());
        }
    }
    let service = sqlx::query_as::<_, ServiceKeyRow>(SELECT_SERVICE_KEYS).fetch_all(&mut *conn).await?;
    if let Some(chain_from) = service.first().map(|first| first.chain_from) {
        let wrapped: Vec<vault::WrappedServiceKey> = service.into_iter().map(Into::into).collect();
        match vault::ServiceKeys::unwrap(&wrapped, kek, chain_from) {
            Ok(_) => {}
            Err(vault::VaultError::UnknownKek(stored)) => {
                return Err(KekMismatch::OtherId { stored, configured: kek.id().to_owned() }.into())
            }
            Err(_) => return Err(KekMismatch::WrongKey(kek.id().to_owned()).into()),
        }
    }
    let seed: Option<(String, Vec<u8>)> =
        sqlx::query_as("SELECT username, totp_sealed FROM staff_users LIMIT 1").fetch_optional(&mut *conn).await?;
    if let Some((username, sealed)) = seed {
        let aad = crate::auth::totp_aad(&username);
        if vault::open_secret(kek, &sealed, &aad).is_err() {
            return Err(KekMismatch::WrongKey(kek.id().to_owned()).into());
        }
    }
    Ok(())
}
