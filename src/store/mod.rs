//! Persistence through sqlx's `Any` driver: SQLite (bundled, the default) or PostgreSQL, chosen by the URL, with
//! migrations per backend under migrations/. The SQL is written once for both: `$n` placeholders, no
//! backend-only functions, times as fixed-width UTC text (see [`timestamp`]).

pub mod access;
pub mod allowlist;
mod audit_locks;
mod backend;
pub mod biometrics;
pub mod blocklist;
pub mod case_notes;
pub mod cases;
pub mod consents;
mod file_scan;
pub mod kek_check;
pub mod leases;
pub mod liveness;
pub mod lockout;
pub mod residue;
pub mod revocation;
mod service_keys;
pub mod staff_language;
pub mod stats;
pub mod subjects;
mod verifications;
mod write_tx;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyPool;

pub use access::{ServiceAccount, SessionRecord, StaffRecord};
pub use backend::Backend;
pub(crate) use backend::BindScore;
pub use service_keys::{rewrap as rewrap_service_keys, Adoption};
pub use verifications::{evidence_row, insert_verification, EvidenceRow, NewVerification, StoredVerification};
pub use write_tx::{Unaudited, WriteTx};

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Stored times are RFC 3339 text in UTC with exactly six fractional digits, so that comparing the text (the same
/// SQL on SQLite and PostgreSQL, and index-friendly) compares the times.
const TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// `t` as stored: see [`TIMESTAMP`].
/// `From<sqlx::Error>` for a core's error type that wraps store failures in a `Store(StoreError)` variant, so
/// queries answer with `?` in the cores.
macro_rules! store_errors_from_sqlx {
    ($($error:ty),+ $(,)?) => {
        $(impl From<sqlx::Error> for $error {
            fn from(e: sqlx::Error) -> Self {
                Self::Store(e.into())
            }
        })+
    };
}
pub(crate) use store_errors_from_sqlx;

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
    #[error(
        "the service keys (audit chain, pseudonyms, checkpoint signing) stored in the database do not open under \
         key-encryption key `{kek_id}` ({source}): is this the KEK this database was created or rotated with?"
    )]
    ServiceKeys { kek_id: String, source: crate::vault::VaultError },
    #[error("the store was opened without its service keys (Store::unlock)")]
    Locked,
    #[error(
        "the database has an audit chain but no service keys, so the service will not start. Written by a version \
         before keyed audit chains: run `faceverify audit adopt-legacy` once (it accepts the existing rows as the \
         legacy chain and raises a critical security event). Otherwise the service_keys rows were removed: restore \
         them from a backup (see docs/audit-and-erasure.md)"
    )]
    NoServiceKeys,
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
    /// The database file, for SQLite on disk (the residue check reads it and its WAL).
    sqlite_file: Option<PathBuf>,
    /// Set by `unlock`: needed by every audited write (`begin_write`).
    keys: Option<Arc<crate::vault::ServiceKeys>>,
    /// The audit lanes appends spread over (`audit::lanes`): set by `unlock`, 1 on SQLite.
    lanes: i64,
    /// The keys of this installation's advisory locks (PostgreSQL): set by `connect`.
    locks: audit_locks::LockSpace,
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
        let sqlite_file = backend::sqlite_file_on_disk(backend, url);
        let locks = match backend {
            Backend::Postgres => audit_locks::LockSpace::of(&mut *pool.acquire().await?).await?,
            Backend::Sqlite => audit_locks::LockSpace::default(),
        };
        Ok(Self { pool, backend, sqlite_file, keys: None, lanes: 1, locks })
    }

    /// Unwraps the service keys with `kek`, creating them on the first start (see `vault::ServiceKeys`), and
    /// pseudonymises what earlier versions stored in clear. Refuses (an error) when they do not open under `kek`,
    /// and when the database has an audit chain but no keys (`StoreError::NoServiceKeys`). On PostgreSQL, opens
    /// the audit lanes (`audit::POSTGRES_LANES`) on the first start after an upgrade.
    pub async fn unlock(mut self, kek: &crate::vault::Kek) -> Result<Self, StoreError> {
        let (keys, rewritten) = service_keys::load_or_create(&self.pool, kek).await?;
        let keys = Arc::new(keys);
        self.keys = Some(keys.clone());
        if rewritten {
            self.checkpoint_wal().await;
        }
        self.lanes = match self.backend {
            Backend::Postgres => {
                let wanted = crate::audit::POSTGRES_LANES;
                let lanes = crate::audit::Lanes::read(&mut *self.acquire().await?).await?;
                // The usual start finds them open and sealed: no exclusive write, which would hold back every
                // replica's appends meanwhile.
                match lanes.count >= wanted && lanes.authentic(&keys) {
                    true => lanes.count,
                    false => crate::audit::open_lanes(self.begin_write().await?, wanted).await?,
                }
            }
            Backend::Sqlite => 1,
        };
        Ok(self)
    }

    /// The audit lanes appends spread over.
    pub fn audit_lanes(&self) -> i64 {
        self.lanes
    }

    /// `audit adopt-legacy`: creates the service keys for a database with an audit chain but none (see
    /// `service_keys::adopt_legacy`), recording `event` as the first row under them. Unlock afterwards.
    pub async fn adopt_legacy(
        &self,
        kek: &crate::vault::Kek,
        event: &crate::audit::AuditEvent<'_>,
    ) -> Result<Adoption, StoreError> {
        service_keys::adopt_legacy(&self.pool, kek, event).await
    }

    /// The subject's keyed pseudonym, as stored in audit rows and consents.
    pub fn pseudonym(&self, subject: &str) -> Result<String, StoreError> {
        Ok(self.keys.as_ref().ok_or(StoreError::Locked)?.pseudonym(subject))
    }

    /// SQLite: copies the write-ahead log into the database file and truncates it, so deleted rows (overwritten in
    /// the file by `secure_delete`) leave no older copy in the log. Returns whether it completed; a reader holding
    /// an old snapshot makes it partial, and a failure is logged, not returned (it runs after a commit, which
    /// stands). PostgreSQL: nothing to do here (see README, "Erasure").
    pub async fn checkpoint_wal(&self) -> bool {
        if self.backend != Backend::Sqlite {
            return true;
        }
        let busy = match sqlx::query_scalar::<_, i64>("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(&self.pool).await {
            Ok(busy) => busy,
            Err(e) => {
                tracing::warn!(error = %e, "WAL checkpoint failed");
                return false;
            }
        };
        if busy != 0 {
            tracing::warn!("WAL checkpoint incomplete: a reader holds an older snapshot");
        }
        busy == 0
    }

    /// The SQLite database file (and so its `-wal` beside it), when the database is a file.
    pub fn sqlite_file(&self) -> Option<&std::path::Path> {
        self.sqlite_file.as_deref()
    }

    /// Which database this store talks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(self.pool.begin().await?)
    }

    /// A transaction that has the audit log to itself (`audit::lanes`): it waits for every append in flight and
    /// holds back new ones, so audited writers serialise instead of failing a read-to-write lock upgrade. For
    /// everything but the appends of `begin_append`. It carries the service keys.
    pub async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let keys = self.keys.clone().ok_or(StoreError::Locked)?;
        let mut tx = self.pool.begin().await?;
        audit_locks::exclusive(&mut tx, self.backend, self.locks).await?;
        Ok(WriteTx::new(tx, keys))
    }

    /// A transaction for an append that scales with applicants (a verification, a consent, a liveness attempt):
    /// alongside other appends on a free audit lane, one at a time per `subject` (the applicant reference), never
    /// beside a `begin_write`. On SQLite (one writer at a time) it is `begin_write`.
    pub async fn begin_append(&self, subject: Option<&str>) -> Result<WriteTx, StoreError> {
        // SQLite has one lane (`unlock`).
        if self.lanes <= 1 {
            return self.begin_write().await;
        }
        let keys = self.keys.clone().ok_or(StoreError::Locked)?;
        let mut tx = self.pool.begin().await?;
        let pseudonym = subject.map(|s| keys.pseudonym(s));
        let lane = audit_locks::append(&mut tx, self.locks, self.lanes, pseudonym.as_deref()).await?;
        Ok(WriteTx::on_lane(tx, keys, lane))
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
