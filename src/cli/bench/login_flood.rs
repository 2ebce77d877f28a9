//! `faceverify bench-login`: the sign-in flood of issue 11 item 1, measured. Starts the service in-process (as
//! `bench` does), then `concurrency` closed-loop clients post sign-ins with unknown usernames for `seconds`, while
//! the process's resident memory is sampled; reports answers by status, the password-hashing bound's high-water
//! mark, and RSS before, at the peak of, and a while after the flood.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::config::Settings;

pub struct LoginFloodOptions {
    pub concurrency: usize,
    pub seconds: u64,
    /// Lift the per-address and per-username limits, to measure the hashing bound alone (a flood from many
    /// addresses looks like this).
    pub no_limits: bool,
}

#[derive(Debug, Serialize)]
pub struct LoginFloodReport {
    pub machine: String,
    pub concurrency: usize,
    pub seconds: u64,
    pub limits: bool,
    pub password_checks_in_flight: usize,
    pub requests: usize,
    pub unauthorized_401: usize,
    pub too_many_attempts_429: usize,
    pub overloaded_503: usize,
    pub other: usize,
    pub argon2_verifications: u64,
    pub argon2_high_water: usize,
    pub rss_before_mib: f64,
    pub rss_peak_during_mib: f64,
    pub rss_after_5s_mib: f64,
}

/// Resident set size now (VmRSS), MiB.
fn rss_mib() -> f64 {
    super::status_mib("VmRSS:")
}

pub async fn run(settings: Settings, opts: &LoginFloodOptions) -> anyhow::Result<LoginFloodReport> {
    let (mut settings, dir) = super::isolated(settings, "bench-login")?;
    if opts.no_limits {
        settings.auth.address_max_attempts = u32::MAX;
        settings.auth.username_max_attempts = u32::MAX;
    }
    let app = crate::startup::Application::build(settings.clone()).await?;
    let throttle = app.login_throttle();
    let url = format!("http://127.0.0.1:{}/v1/auth/login", app.port());
    tokio::spawn(app.run_until_stopped());

    let rss_before_mib = rss_mib();
    let flooding = Arc::new(AtomicBool::new(true));
    let sampler = {
        let flooding = flooding.clone();
        tokio::spawn(async move {
            let mut peak = 0.0f64;
            while flooding.load(Ordering::Relaxed) {
                peak = peak.max(rss_mib());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            peak
        })
    };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(opts.seconds);
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..opts.concurrency {
        let (client, url) = (client.clone(), url.clone());
        clients.spawn(async move {
            let mut statuses = Vec::new();
            let mut i = 0u64;
            while Instant::now() < deadline {
                i += 1;
                let body = serde_json::json!({"username": format!("flood-{c}-{i}"), "password": "guess", "totp": "1"});
                statuses.push(client.post(&url).json(&body).send().await.map_or(0, |r| r.status().as_u16()));
            }
            statuses
        });
    }
    let mut statuses = Vec::new();
    while let Some(done) = clients.join_next().await {
        statuses.extend(done?);
    }
    flooding.store(false, Ordering::Relaxed);
    let rss_peak_during_mib = sampler.await?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let count = |code: u16| statuses.iter().filter(|&&s| s == code).count();
    let stats = throttle.stats();
    let (unauthorized_401, too_many_attempts_429, overloaded_503) = (count(401), count(429), count(503));
    let report = LoginFloodReport {
        machine: super::machine(),
        concurrency: opts.concurrency,
        seconds: opts.seconds,
        limits: !opts.no_limits,
        password_checks_in_flight: stats.capacity,
        requests: statuses.len(),
        unauthorized_401,
        too_many_attempts_429,
        overloaded_503,
        other: statuses.len() - unauthorized_401 - too_many_attempts_429 - overloaded_503,
        argon2_verifications: stats.verifications,
        argon2_high_water: stats.high_water,
        rss_before_mib,
        rss_peak_during_mib,
        rss_after_5s_mib: rss_mib(),
    };
    let _ = std::fs::remove_dir_all(&dir);
    Ok(report)
}
