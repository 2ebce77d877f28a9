//! The database each test gets: a fresh SQLite file (the default), or, when `FACEVERIFY_TEST_POSTGRES` names a
//! PostgreSQL database, a fresh schema in it. `scripts/test.sh` runs this suite once per backend; under `CI=true`
//! the PostgreSQL pass is not optional, so an unreachable server fails it instead of skipping.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use sqlx::{Connection, PgConnection};

const SCHEMA_PREFIX: &str = "fv_t_";

pub enum TestDb {
    Sqlite { path: PathBuf },
    Postgres { server: String, schema: String },
}

/// The PostgreSQL database the suite runs against, when this pass is the PostgreSQL one.
pub fn postgres_server() -> Option<String> {
    std::env::var("FACEVERIFY_TEST_POSTGRES").ok().filter(|u| !u.is_empty())
}

impl TestDb {
    pub async fn fresh(dir: &Path) -> Self {
        match postgres_server() {
            None => Self::Sqlite { path: dir.join("test.db") },
            Some(server) => {
                static NEXT: AtomicUsize = AtomicUsize::new(0);
                let schema = format!("{SCHEMA_PREFIX}{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
                static SWEPT: AtomicBool = AtomicBool::new(false);
                let mut admin = admin_connection(&server).await;
                if !SWEPT.swap(true, Ordering::Relaxed) {
                    sweep_stale_schemas(&mut admin).await;
                }
                sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut admin).await.expect("create schema");
                Self::Postgres { server, schema }
            }
        }
    }

    /// The `database.url` the service under test is given.
    pub fn url(&self) -> String {
        match self {
            Self::Sqlite { path } => format!("sqlite://{}", path.display()),
            Self::Postgres { server, schema } => {
                let sep = if server.contains('?') { '&' } else { '?' };
                format!("{server}{sep}options[search_path]={schema}")
            }
        }
    }
}

impl Drop for TestDb {
    /// A test's schema goes with it; one still locked by a connection of the service under test is left to the
    /// next run's sweep of schemas whose process is gone.
    fn drop(&mut self) {
        let Self::Postgres { server, schema } = self else { return };
        let (server, schema) = (server.clone(), schema.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&server).await.ok()?;
                sqlx::query("SET lock_timeout = 2000").execute(&mut admin).await.ok()?;
                sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&mut admin).await.ok()
            })
        });
        let _ = dropped.join();
    }
}

async fn admin_connection(server: &str) -> PgConnection {
    match tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(server)).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => panic!("PostgreSQL at FACEVERIFY_TEST_POSTGRES={server} is unreachable: {e}"),
        Err(_) => panic!("PostgreSQL at FACEVERIFY_TEST_POSTGRES={server} did not answer within 10 s"),
    }
}

/// Schemas of earlier runs whose test process no longer exists (killed before its tests could clean up).
async fn sweep_stale_schemas(admin: &mut PgConnection) {
    let schemas: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, $1)")
            .bind(SCHEMA_PREFIX)
            .fetch_all(&mut *admin)
            .await
            .expect("list schemas");
    for schema in schemas {
        let pid = schema[SCHEMA_PREFIX.len()..].split('_').next().and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&mut *admin).await;
        }
    }
}
