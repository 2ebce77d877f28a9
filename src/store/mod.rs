//! Persistence through sqlx's `Any` driver: SQLite (bundled, the default) or PostgreSQL, chosen by the URL, with
//! migrations per backend under migrations/. The SQL is written once for both: `$n` placeholders, no
//! backend-only functions, times as fixed-width UTC text (see [`timestamp`]).

pub mod access;
mod backend;
pub mod biometrics;
pub mod cases;
pub mod consents;
pub mod lockout;
pub mod revocation;
pub mod subjects;
mod verifications;

use std::time::Duration;

use sqlx::AnyPool;

pub use access::{ServiceAccount, SessionRecord, StaffRecord};
pub use backend::Backend;
pub(crate) use backend::BindScore;
pub use verifications::{insert_verification, NewVerification, StoredVerification};

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Stored times are RFC 3339 text in UTC with exactly six fractional digits, so that comparing the text (the same
/// SQL on SQLite and PostgreSQL, and index-friendly) compares the times.
const TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// `t` as stored: see [`TIMESTAMP`].
pub fn timestamp(t: OffsetDateTime) -> Result<String, StoreError> {
    t.to_offset(UtcOffset::UTC).format(TIMESTAMP).map_err(|_| StoreError::Corrupt("clock"))
}

pub(crate) fn now_rfc3339() -> Result<String, StoreError> {
    timestamp(OffsetDateTime::now_utc())
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("record not found")]
    NotFound,
    #[error("a record with this unique key exists")]
    Conflict,
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error")]
    Database(#[source] sqlx::Error),
    #[error("stored row is invalid: {0}")]
    Corrupt(&'static str),
    #[error("unsupported database url (expected sqlite:// or postgres://)")]
    UnsupportedUrl,
    #[error("vault: {0}")]
    Vault(crate::vault::VaultError),
    #[error("migrations failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::Database(ref db) if db.is_unique_violation() => Self::Conflict,
            sqlx::Error::Database(ref db) if db.code().as_deref().is_some_and(backend::is_transient) => {
                Self::Unavailable(e)
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
                Self::Unavailable(e)
            }
            other => Self::Database(other),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Opens (creating if needed) the database and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, Duration::from_secs(5)).await
    }

    /// As `connect`, waiting at most `busy_timeout` for a lock before a statement fails as unavailable.
    pub async fn connect_with(url: &str, busy_timeout: Duration) -> Result<Self, StoreError> {
        let backend = Backend::of(url)?;
        let pool = backend::open(backend, url, busy_timeout).await?;
        match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await?,
        }
        backend::after_migrations(backend, url);
        Ok(Self { pool, backend })
    }

    /// Which database this store talks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(self.pool.begin().await?)
    }

    /// A transaction that takes the audit-chain lock first: every audited write goes through it, so writers
    /// serialise on one row instead of failing a read-to-write lock upgrade.
    pub async fn begin_write(&self) -> Result<Tx, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1").execute(&mut *tx).await?;
        Ok(tx)
    }

    /// A connection for one-off reads outside a transaction.
    pub async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, StoreError> {
        Ok(self.pool.acquire().await?)
    }

    /// A round trip to the database, for readiness.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
