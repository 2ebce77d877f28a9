//! `faceverify bench-audit`: how many audited writes a second the audit log takes from several replicas (issue 15
//! item 3), written both ways in one run:
//! - `one_chain`: `Store::begin_write`, the exclusive write every audited write was before lanes (and erasures,
//!   withdrawals and sweeps still are): the writers append one after another, so this rate was a ceiling on the
//!   whole deployment's verifications;
//! - `lanes`: `Store::begin_append`, as verifications, consents and liveness attempts append now: a lane each,
//!   each write under its own subject's lock.
//!
//! Each writer is a replica's share of that work with nothing else: its own connection pool (a `Store` of its own,
//! unlocked with the same KEK, as each replica process holds one) in a closed loop of begin, one audit row, commit.
//! A verification's transaction also writes its template, case and outbox rows, so it holds its lane longer.
//!
//! The writes go to a scratch database created on the server for the run and dropped after it; every lane is
//! verified end to end before the drop (interleaved writers must leave unbroken chains).

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::audit::{self, Action, AuditEvent, Outcome};
use crate::store::Store;
use crate::vault::Kek;

pub struct AuditBenchOptions {
    /// A PostgreSQL server URL whose user may create and drop databases; its database name is not used.
    pub postgres: String,
    pub writers: Vec<usize>,
    pub seconds: u64,
}

/// How a bench writer begins its transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditMode {
    /// `begin_write`: the log to itself.
    OneChain,
    /// `begin_append`: a free lane, the subject's lock.
    Lanes,
}

#[derive(Debug, Serialize)]
pub struct AuditLevel {
    pub mode: AuditMode,
    pub writers: usize,
    pub appends: usize,
    pub appends_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: usize,
}

#[derive(Debug, Serialize)]
pub struct AuditBenchReport {
    pub machine: String,
    pub seconds_per_level: u64,
    pub levels: Vec<AuditLevel>,
    /// Rows in the log at the end, the lanes they are on, and whether `audit verify`'s walk found every lane
    /// intact.
    pub chain_rows: usize,
    pub lanes_used: i64,
    pub chain_intact: bool,
}

pub async fn run(opts: &AuditBenchOptions) -> anyhow::Result<AuditBenchReport> {
    anyhow::ensure!(!opts.writers.is_empty() && opts.writers.iter().all(|&w| w > 0), "writers must be positive");
    let scratch = super::ScratchDatabase::create(&opts.postgres, "bench_audit").await?;
    let result = measure(&scratch.url, opts).await;
    scratch.drop().await?;
    result
}

async fn measure(url: &str, opts: &AuditBenchOptions) -> anyhow::Result<AuditBenchReport> {
    let mut key = [0u8; 32];
    getrandom::getrandom(&mut key).map_err(|e| anyhow::anyhow!("no randomness for the scratch KEK: {e}"))?;
    let kek = Kek::from_bytes("bench-audit", key);
    let most = opts.writers.iter().copied().max().unwrap_or(1);
    let mut stores = Vec::with_capacity(most);
    for _ in 0..most {
        stores.push(std::sync::Arc::new(Store::connect(url).await?.unlock(&kek).await?));
    }
    let mut levels = Vec::with_capacity(2 * opts.writers.len());
    for (mode, &writers) in
        [AuditMode::OneChain, AuditMode::Lanes].into_iter().flat_map(|m| opts.writers.iter().map(move |w| (m, w)))
    {
        let deadline = Instant::now() + Duration::from_secs(opts.seconds);
        let started = Instant::now();
        let mut tasks = Vec::with_capacity(writers);
        for store in &stores[..writers] {
            let store = std::sync::Arc::clone(store);
            tasks.push(tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0usize);
                while Instant::now() < deadline {
                    let t0 = Instant::now();
                    match append_one(&store, mode).await {
                        Ok(()) => latencies.push(t0.elapsed().as_secs_f64() * 1000.0),
                        Err(_) => errors += 1,
                    }
                }
                (latencies, errors)
            }));
        }
        let (mut latencies, mut errors) = (Vec::new(), 0);
        for task in tasks {
            let (l, e) = task.await?;
            latencies.extend(l);
            errors += e;
        }
        let elapsed = started.elapsed().as_secs_f64();
        latencies.sort_by(f64::total_cmp);
        levels.push(AuditLevel {
            mode,
            writers,
            appends: latencies.len(),
            appends_per_s: (latencies.len() as f64 / elapsed * 10.0).round() / 10.0,
            p50_ms: (super::percentile(&latencies, 50.0) * 100.0).round() / 100.0,
            p99_ms: (super::percentile(&latencies, 99.0) * 100.0).round() / 100.0,
            errors,
        });
    }
    let mut tx = stores[0].begin_write().await?;
    let report = audit::verify(&mut tx).await?;
    let lanes_used: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT lane) FROM audit_log").fetch_one(&mut *tx).await?;
    drop(tx);
    for store in &stores {
        store.close().await;
    }
    Ok(AuditBenchReport {
        machine: super::machine(),
        seconds_per_level: opts.seconds,
        levels,
        chain_rows: report.rows,
        lanes_used,
        chain_intact: report.intact,
    })
}

/// A subject for each append in `lanes` mode: writers never wait on one another's subject lock.
static NEXT_SUBJECT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

async fn append_one(store: &Store, mode: AuditMode) -> anyhow::Result<()> {
    let event = AuditEvent {
        actor: "bench-audit",
        role: "operator",
        action: Action::VerifyAudit,
        purpose: None,
        subject_ref: None,
        result: Outcome::Success,
        request_id: None,
    };
    let mut tx = match mode {
        AuditMode::OneChain => store.begin_write().await?,
        AuditMode::Lanes => {
            let n = NEXT_SUBJECT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            store.begin_append(Some(&format!("bench-subject-{n}"))).await?
        }
    };
    let audited = audit::append(&mut tx, &event).await?;
    tx.commit(audited).await?;
    Ok(())
}
