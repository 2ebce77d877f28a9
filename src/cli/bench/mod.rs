//! `faceverify bench` and `bench-login`: load on the service started in-process against a temporary database.
//! `load`: verifications through the HTTP API at several concurrency levels; `login_flood`: sign-ins with unknown
//! usernames against the password-hashing bound; `audit_chain`: audited writes from several replicas' pools on one
//! PostgreSQL database, the audit chain's ceiling.

pub mod audit_chain;
pub mod load;
pub mod login_flood;

use crate::config::Settings;

/// The `p`-th percentile of ascending `sorted` (nearest rank); 0 when empty.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// The CPU model and logical CPU count, for the reports.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned()))
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cpu}, {} logical CPUs", std::thread::available_parallelism().map_or(0, |n| n.get()))
}

/// `settings` for an in-process benchmark: its own SQLite database and development key in a fresh temporary
/// folder named after `name` (returned, for removal afterwards), loopback on a free port, no retention sweeps.
fn isolated(mut settings: Settings, name: &str) -> anyhow::Result<(Settings, std::path::PathBuf)> {
    let dir = std::env::temp_dir().join(format!("faceverify-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    settings.database.url = format!("sqlite://{}", dir.join("bench.db").display());
    settings.vault.kek_file = None;
    settings.vault.dev_kek_file = dir.join("bench-kek.key");
    settings.server.port = 0;
    settings.server.host = "127.0.0.1".into();
    settings.retention.sweep_interval_secs = 0;
    Ok((settings, dir))
}

/// utime + stime of this process, in seconds (Linux).
pub(crate) fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks: f64 = fields.get(11..13).map_or(0.0, |f| f.iter().filter_map(|v| v.parse::<f64>().ok()).sum());
    ticks / 100.0
}

/// Peak resident set size (VmHWM), MiB.
pub(crate) fn peak_rss_mib() -> f64 {
    status_mib("VmHWM:")
}

/// A memory line of /proc/self/status (`VmRSS:`, `VmHWM:`), in MiB; 0 when it cannot be read.
pub(crate) fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A database created on a PostgreSQL server for one benchmark run and dropped after it (`drop`), so a run never
/// writes into a database someone uses. The server URL's user must be allowed to create databases.
pub(crate) struct ScratchDatabase {
    admin: sqlx::PgConnection,
    name: String,
    pub url: String,
}

impl ScratchDatabase {
    pub(crate) async fn create(server: &str, purpose: &str) -> anyhow::Result<Self> {
        use sqlx::{Connection, Executor};
        let name = format!("faceverify_{purpose}_{}", std::process::id());
        let url = with_database(server, &name)?;
        let mut admin = sqlx::PgConnection::connect(server).await?;
        admin.execute(format!("CREATE DATABASE {name}").as_str()).await?;
        Ok(Self { admin, name, url })
    }

    pub(crate) async fn drop(mut self) -> anyhow::Result<()> {
        use sqlx::Executor;
        self.admin.execute(format!("DROP DATABASE {} WITH (FORCE)", self.name).as_str()).await?;
        Ok(())
    }
}

/// `url` with its database name replaced by `name` (the query string kept).
fn with_database(url: &str, name: &str) -> anyhow::Result<String> {
    anyhow::ensure!(url.starts_with("postgres://") || url.starts_with("postgresql://"), "a postgres:// URL is needed");
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..].find('/').map_or(base.len(), |i| authority + i);
    Ok(format!("{}/{name}{}", &base[..path], query.map(|q| format!("?{q}")).unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_replaced_and_the_rest_kept() {
        let at = |url: &str| with_database(url, "scratch").expect("postgres URL");
        assert_eq!(at("postgres://postgres@127.0.0.1:5432/test"), "postgres://postgres@127.0.0.1:5432/scratch");
        assert_eq!(at("postgresql://u:p@db/x?sslmode=require"), "postgresql://u:p@db/scratch?sslmode=require");
        assert_eq!(at("postgres://db"), "postgres://db/scratch");
        assert!(with_database("sqlite://x.db", "scratch").is_err());
    }
}
