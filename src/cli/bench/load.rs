//! `faceverify bench`: end-to-end load through the HTTP API. Starts the service in-process against a temporary
//! database, then for each concurrency level runs closed-loop clients for a fixed time and reports throughput,
//! latency percentiles, status counts (only 201 and the documented 503 back-pressure are acceptable), process CPU
//! and peak RSS. Writes a JSON result and an SVG plot.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{cpu_seconds, isolated, machine, peak_rss_mib, percentile};
use crate::config::Settings;

pub struct BenchOptions {
    pub selfie: PathBuf,
    pub document: PathBuf,
    pub concurrency: Vec<usize>,
    pub seconds: u64,
    pub json_out: PathBuf,
    pub svg_out: PathBuf,
    /// Run the service on a scratch database on this PostgreSQL server instead of a temporary SQLite file.
    pub postgres: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct LevelResult {
    pub concurrency: usize,
    pub requests: usize,
    pub ok: usize,
    pub overloaded: usize,
    pub other_errors: usize,
    pub throughput_per_s: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub cpu_seconds: f64,
    pub peak_rss_mib: f64,
    /// Mean time a verification's write transaction held its audit lane (`/metrics` stage `record`).
    pub record_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct BenchReport {
    pub machine: String,
    pub cores: usize,
    pub workers: usize,
    pub intra_threads: usize,
    pub seconds_per_level: u64,
    pub database: &'static str,
    pub levels: Vec<LevelResult>,
}

/// Runs every concurrency level against a fresh in-process service, writes the JSON and SVG, returns the report.
pub async fn run(settings: Settings, opts: &BenchOptions) -> anyhow::Result<BenchReport> {
    let (mut settings, dir) = isolated(settings, "bench")?;
    let scratch = match &opts.postgres {
        Some(server) => Some(super::ScratchDatabase::create(server, "bench").await?),
        None => None,
    };
    if let Some(scratch) = &scratch {
        settings.database.url = scratch.url.clone();
    }
    let report = measure(settings, opts).await;
    if let Some(scratch) = scratch {
        scratch.drop().await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let report = report?;
    std::fs::write(&opts.json_out, serde_json::to_string_pretty(&report)?)?;
    std::fs::write(&opts.svg_out, svg(&report))?;
    Ok(report)
}

/// The `record` stage's (sum of seconds, count) in a `/metrics` text.
fn record_totals(metrics: &str) -> (f64, f64) {
    let value = |suffix: &str| {
        metrics
            .lines()
            .find(|l| l.starts_with(&format!("faceverify_stage_seconds_{suffix}{{stage=\"record\"}}")))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (value("sum"), value("count"))
}

async fn measure(settings: Settings, opts: &BenchOptions) -> anyhow::Result<BenchReport> {
    let app = crate::startup::Application::build(settings.clone()).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let store = crate::store::Store::connect(&settings.database.url).await?;
    let key = crate::auth::create_service_account(&store, "bench").await?.plaintext.to_string();
    let client = reqwest::Client::new();
    let consent: serde_json::Value = client
        .post(format!("{base}/v1/consents"))
        .bearer_auth(&key)
        .header("X-Purpose", "identification")
        .json(&serde_json::json!({"subject_ref": "BENCH-1", "channel": "checkbox", "text_version": "bench", "cross_border": false}))
        .send()
        .await?
        .json()
        .await?;
    let consent_id = consent["consent_id"].as_str().unwrap_or_default().to_owned();
    let meta = format!(r#"{{"applicant_ref":"BENCH-1","purpose":"identification","consent_ref":"{consent_id}"}}"#);
    let selfie = std::fs::read(&opts.selfie)?;
    let document = std::fs::read(&opts.document)?;

    let mut levels = Vec::new();
    let scrape = || async { client.get(format!("{base}/metrics")).send().await?.text().await };
    for &concurrency in &opts.concurrency {
        let cpu_before = cpu_seconds();
        let record_before = record_totals(&scrape().await?);
        let deadline = Instant::now() + Duration::from_secs(opts.seconds);
        let mut clients = tokio::task::JoinSet::new();
        for _ in 0..concurrency {
            let (client, base, key, meta, selfie, document) =
                (client.clone(), base.clone(), key.clone(), meta.clone(), selfie.clone(), document.clone());
            clients.spawn(async move {
                let mut samples = Vec::new();
                while Instant::now() < deadline {
                    let form = reqwest::multipart::Form::new()
                        .part("selfie", reqwest::multipart::Part::bytes(selfie.clone()))
                        .part("document", reqwest::multipart::Part::bytes(document.clone()))
                        .text("meta", meta.clone());
                    let started = Instant::now();
                    let status = client
                        .post(format!("{base}/v1/verifications"))
                        .bearer_auth(&key)
                        .multipart(form)
                        .send()
                        .await
                        .map_or(0, |r| r.status().as_u16());
                    samples.push((status, started.elapsed().as_secs_f64() * 1000.0));
                    if status == 503 {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
                samples
            });
        }
        let mut samples = Vec::new();
        while let Some(done) = clients.join_next().await {
            samples.extend(done?);
        }
        let mut ok_latencies: Vec<f64> = samples.iter().filter(|(s, _)| *s == 201).map(|(_, ms)| *ms).collect();
        ok_latencies.sort_by(f64::total_cmp);
        let ok = ok_latencies.len();
        let overloaded = samples.iter().filter(|(s, _)| *s == 503).count();
        levels.push(LevelResult {
            concurrency,
            requests: samples.len(),
            ok,
            overloaded,
            other_errors: samples.len() - ok - overloaded,
            throughput_per_s: ok as f64 / opts.seconds as f64,
            p50_ms: percentile(&ok_latencies, 50.0),
            p95_ms: percentile(&ok_latencies, 95.0),
            p99_ms: percentile(&ok_latencies, 99.0),
            cpu_seconds: cpu_seconds() - cpu_before,
            peak_rss_mib: peak_rss_mib(),
            record_ms: {
                let after = record_totals(&scrape().await?);
                let (seconds, count) = (after.0 - record_before.0, after.1 - record_before.1);
                if count > 0.0 {
                    (seconds / count * 1e5).round() / 100.0
                } else {
                    0.0
                }
            },
        });
    }
    let report = BenchReport {
        machine: machine(),
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        workers: settings.models.workers,
        intra_threads: settings.models.intra_threads,
        seconds_per_level: opts.seconds,
        database: if opts.postgres.is_some() { "postgresql" } else { "sqlite" },
        levels,
    };
    Ok(report)
}

/// Throughput (bars) and p99 latency (line) per concurrency level.
fn svg(report: &BenchReport) -> String {
    let (w, h, pad) = (640.0, 360.0, 50.0);
    let n = report.levels.len().max(1) as f64;
    let max_tp = report.levels.iter().map(|l| l.throughput_per_s).fold(1e-9, f64::max);
    let max_p99 = report.levels.iter().map(|l| l.p99_ms).fold(1e-9, f64::max);
    let slot = (w - 2.0 * pad) / n;
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{pad}" y="20">faceverify bench: throughput (bars, max {max_tp:.1}/s) and p99 latency (line, max {max_p99:.0} ms)</text>
"#
    );
    let mut points = Vec::new();
    for (i, l) in report.levels.iter().enumerate() {
        let x = pad + slot * i as f64;
        let bar = (h - 2.0 * pad) * l.throughput_per_s / max_tp;
        out.push_str(&format!(
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{bar:.1}" fill="#3a6ee8"/><text x="{:.1}" y="{:.1}">c={}</text>
"##,
            x + slot * 0.15,
            h - pad - bar,
            slot * 0.7,
            x + slot * 0.35,
            h - pad + 16.0,
            l.concurrency
        ));
        points.push(format!("{:.1},{:.1}", x + slot * 0.5, h - pad - (h - 2.0 * pad) * l.p99_ms / max_p99));
    }
    out.push_str(&format!(
        r##"<polyline points="{}" fill="none" stroke="#d9480f" stroke-width="2"/>"##,
        points.join(" ")
    ));
    out.push_str("\n</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_stage_is_read_from_the_exposition() {
        let text = "faceverify_stage_seconds_sum{stage=\"embed\"} 9\n\
                    faceverify_stage_seconds_sum{stage=\"record\"} 0.25\n\
                    faceverify_stage_seconds_count{stage=\"record\"} 50\n";
        assert_eq!(record_totals(text), (0.25, 50.0));
        assert_eq!(record_totals(""), (0.0, 0.0));
    }
}
