//! The `service_keys` table: the audit-chain, pseudonym and checkpoint-signing keys, wrapped by the KEK.
//! Created on the first start of a database without an audit chain (under the audit-head lock, so replicas
//! starting together agree on one set), then unwrapped at every start; rewrapped by `keys rotate`. A database that
//! has an audit chain but no keys is never given keys by a start: only by `audit adopt-legacy` (see [`adopt_legacy`]).

use std::sync::Arc;

use sqlx::{AnyConnection, AnyPool};

use super::{now_rfc3339, StoreError, WriteTx};
use crate::audit::{self, AuditEvent, SecurityEvent, Severity};
use crate::vault::{Kek, ServiceKeys, WrappedServiceKey};

/// The stored keys opened under `kek`, or new ones for a database without an audit chain. Refuses
/// (`StoreError::NoServiceKeys`) a database that has an audit chain but no keys: creating them here would let
/// anyone who can delete the `service_keys` rows have a rewritten chain adopted as the legacy, unkeyed prefix.
/// Also pseudonymises rows stored in clear by earlier versions (consents, subject-key lookups); the flag says
/// whether any was rewritten.
pub(super) async fn load_or_create(pool: &AnyPool, kek: &Kek) -> Result<(ServiceKeys, bool), StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1").execute(&mut *tx).await?;
    let (stored, chain_from) = stored(&mut tx).await?;
    let keys = match chain_from {
        Some(chain_from) => ServiceKeys::unwrap(&stored, kek, chain_from)
            .map_err(|source| StoreError::ServiceKeys { kek_id: kek.id().to_owned(), source })?,
        None => {
            if chain_state(&mut tx).await?.exists() {
                // At once, not when the dropped transaction's connection is next used: until then it holds the
                // audit-head lock (PostgreSQL), and the operator's `adopt-legacy` would wait on it.
                tx.rollback().await?;
                return Err(StoreError::NoServiceKeys);
            }
            create(&mut tx, kek).await?
        }
    };
    let rewritten = pseudonymise_legacy(&mut tx, &keys).await?;
    tx.commit().await?;
    Ok((keys, rewritten))
}

/// What the database holds of an audit chain, keys aside.
struct ChainState {
    head_seq: i64,
    head_mac: bool,
    rows: i64,
}

impl ChainState {
    /// Any audit row ever written (the head counts them, even after retention pruned them), or a head MAC.
    fn exists(&self) -> bool {
        self.head_seq > 0 || self.head_mac || self.rows > 0
    }
}

async fn chain_state(conn: &mut AnyConnection) -> Result<ChainState, StoreError> {
    let (head_seq, mac): (i64, Option<String>) =
        sqlx::query_as("SELECT seq, mac FROM audit_head WHERE id = 1").fetch_one(&mut *conn).await?;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(&mut *conn).await?;
    Ok(ChainState { head_seq, head_mac: mac.is_some(), rows })
}

/// What `audit adopt-legacy` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adoption {
    /// Keys created; audit rows up to `legacy_rows` are from now on verified only as the legacy, unkeyed chain.
    /// `head_had_mac`: the head carried a MAC, so this database had service keys before (they were removed).
    Adopted { legacy_rows: i64, head_had_mac: bool },
    /// The database has service keys: nothing done.
    AlreadyKeyed,
    /// The database has no audit chain: the service creates its keys itself on its first start.
    NoChain,
}

/// `faceverify audit adopt-legacy`: creates the service keys for a database that has an audit chain but no keys
/// (written by a version before keyed chains), accepting every existing row as the legacy chain as it stands. In
/// one transaction: the keys, a Critical `service_keys_created` security event, the pseudonymised legacy rows and
/// `event` (the operator's audit row, the first under the new keys).
pub(super) async fn adopt_legacy(pool: &AnyPool, kek: &Kek, event: &AuditEvent<'_>) -> Result<Adoption, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1").execute(&mut *tx).await?;
    if stored(&mut tx).await?.1.is_some() {
        tx.rollback().await?;
        return Ok(Adoption::AlreadyKeyed);
    }
    let state = chain_state(&mut tx).await?;
    if !state.exists() {
        tx.rollback().await?;
        return Ok(Adoption::NoChain);
    }
    let keys = create(&mut tx, kek).await?;
    let (legacy_rows, head_had_mac) = (state.head_seq, state.head_mac);
    let earlier = if head_had_mac {
        "the audit head carried a MAC, so this database had service keys before and they were removed"
    } else {
        "the audit head carried no MAC, as a database written before keyed chains"
    };
    let detail = format!(
        "service keys created by `audit adopt-legacy` for a database with {legacy_rows} earlier audit rows: rows 1 \
         to {legacy_rows} are accepted as the legacy unkeyed chain as they stand; {earlier}"
    );
    audit::raise(&mut tx, SecurityEvent::ServiceKeysCreated, Severity::Critical, &detail).await?;
    pseudonymise_legacy(&mut tx, &keys).await?;
    let mut tx = WriteTx::new(tx, Arc::new(keys));
    let audited = audit::append(&mut tx, event).await?;
    tx.commit(audited).await?;
    Ok(Adoption::Adopted { legacy_rows, head_had_mac })
}

/// A `service_keys` row as stored.
#[derive(sqlx::FromRow)]
pub(super) struct ServiceKeyRow {
    kind: String,
    kek_id: String,
    wrapped: Vec<u8>,
    pub(super) chain_from: i64,
}

impl From<ServiceKeyRow> for WrappedServiceKey {
    fn from(r: ServiceKeyRow) -> Self {
        Self { kind: r.kind, kek_id: r.kek_id, blob: r.wrapped }
    }
}

pub(super) const SELECT_SERVICE_KEYS: &str = "SELECT kind, kek_id, wrapped, chain_from FROM service_keys";

async fn stored(conn: &mut AnyConnection) -> Result<(Vec<WrappedServiceKey>, Option<i64>), StoreError> {
    let rows = sqlx::query_as::<_, ServiceKeyRow>(SELECT_SERVICE_KEYS).fetch_all(&mut *conn).await?;
    let mut chain_from = None;
    let mut stored = Vec::with_capacity(rows.len());
    for r in rows {
        if chain_from.is_some_and(|c| c != r.chain_from) {
            return Err(StoreError::Corrupt("service_keys.chain_from"));
        }
        chain_from = Some(r.chain_from);
        stored.push(r.into());
    }
    Ok((stored, chain_from))
}

/// New keys; the keyed chain starts after the rows already there (none, except under `adopt_legacy`), and the head
/// as it stands is sealed.
async fn create(conn: &mut AnyConnection, kek: &Kek) -> Result<ServiceKeys, StoreError> {
    let head_seq: i64 = sqlx::query_scalar("SELECT seq FROM audit_head WHERE id = 1").fetch_one(&mut *conn).await?;
    let keys = ServiceKeys::generate(head_seq + 1).map_err(StoreError::Vault)?;
    let at = now_rfc3339()?;
    for wrapped in keys.wrap(kek).map_err(StoreError::Vault)? {
        sqlx::query(
            "INSERT INTO service_keys (kind, kek_id, wrapped, chain_from, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&wrapped.kind)
        .bind(&wrapped.kek_id)
        .bind(&wrapped.blob)
        .bind(keys.chain_from())
        .bind(&at)
        .execute(&mut *conn)
        .await?;
    }
    audit::seal_head(&mut *conn, &keys).await?;
    tracing::info!(chain_from = keys.chain_from(), "service keys created");
    Ok(keys)
}

/// Consents and subject-key lookups written before pseudonyms existed: the clear reference becomes its pseudonym.
/// Idempotent (marked by `consents.subject_scheme` and a filled `subject_keys.pseudonym`).
async fn pseudonymise_legacy(conn: &mut AnyConnection, keys: &ServiceKeys) -> Result<bool, StoreError> {
    let consents: Vec<(String, String)> =
        sqlx::query_as("SELECT id, subject_ref FROM consents WHERE subject_scheme = 0").fetch_all(&mut *conn).await?;
    for (id, subject) in &consents {
        sqlx::query("UPDATE consents SET subject_ref = $1, subject_scheme = 1 WHERE id = $2")
            .bind(keys.pseudonym(subject))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    let subjects: Vec<String> = sqlx::query_scalar("SELECT subject_ref FROM subject_keys WHERE pseudonym IS NULL")
        .fetch_all(&mut *conn)
        .await?;
    for subject in &subjects {
        sqlx::query("UPDATE subject_keys SET pseudonym = $1 WHERE subject_ref = $2")
            .bind(keys.pseudonym(subject))
            .bind(subject)
            .execute(&mut *conn)
            .await?;
    }
    if !consents.is_empty() || !subjects.is_empty() {
        tracing::info!(consents = consents.len(), subject_keys = subjects.len(), "pseudonymised legacy rows");
    }
    Ok(!consents.is_empty() || !subjects.is_empty())
}

/// Rewraps the service keys from `old` to `new` (inside the rotation's transaction). Returns the keys rewrapped.
pub async fn rewrap(conn: &mut AnyConnection, old: &Kek, new: &Kek) -> Result<u64, StoreError> {
    let (stored, Some(chain_from)) = stored(&mut *conn).await? else { return Ok(0) };
    let keys = ServiceKeys::unwrap(&stored, old, chain_from)
        .map_err(|source| StoreError::ServiceKeys { kek_id: old.id().to_owned(), source })?;
    let mut count = 0;
    for wrapped in keys.wrap(new).map_err(StoreError::Vault)? {
        sqlx::query("UPDATE service_keys SET kek_id = $1, wrapped = $2 WHERE kind = $3")
            .bind(&wrapped.kek_id)
            .bind(&wrapped.blob)
            .bind(&wrapped.kind)
            .execute(&mut *conn)
            .await?;
        count += 1;
    }
    Ok(count)
}
