//! Persistence through sqlx. SQLite (bundled, the default) with migrations under migrations/sqlite.

pub mod access;
pub mod biometrics;
pub mod cases;
pub mod consents;
pub mod subjects;
mod verifications;

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

pub use access::{ServiceAccount, SessionRecord, StaffRecord};
pub use verifications::{insert_verification, NewVerification, StoredVerification};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub type Tx = sqlx::Transaction<'static, sqlx::Sqlite>;

pub(crate) fn now_rfc3339() -> Result<String, StoreError> {
    OffsetDateTime::now_utc().format(&Rfc3339).map_err(|_| StoreError::Corrupt("clock"))
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
    #[error("unsupported database url (only sqlite:// is built in so far)")]
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
            // SQLITE_BUSY / SQLITE_LOCKED: another writer holds the database longer than busy_timeout.
            sqlx::Error::Database(ref db) if matches!(db.code().as_deref(), Some("5" | "6" | "517" | "262")) => {
                Self::Unavailable(e)
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => Self::Unavailable(e),
            other => Self::Database(other),
        }
    }
}

/// The database holds personal references: owner-only, like the key files (in-memory databases have no file).
fn restrict_to_owner(file: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    for suffix in ["", "-wal", "-shm"] {
        let mut path = file.as_os_str().to_owned();
        path.push(suffix);
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, Duration::from_secs(5)).await
    }

    /// As `connect`, waiting at most `busy_timeout` for a lock before a statement fails as unavailable.
    pub async fn connect_with(url: &str, busy_timeout: Duration) -> Result<Self, StoreError> {
        if !url.starts_with("sqlite:") {
            return Err(StoreError::UnsupportedUrl);
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(StoreError::Database)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(busy_timeout);
        let file = options.get_filename().to_path_buf();
        if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Unavailable(sqlx::Error::Io(e)))?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(busy_timeout.max(Duration::from_millis(500)))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        restrict_to_owner(&file);
        Ok(Self { pool })
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
    pub async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Sqlite>, StoreError> {
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
