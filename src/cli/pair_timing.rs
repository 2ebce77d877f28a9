//! `faceverify time-pairs`: faceverify's side of the peer benchmark (scripts/bench-peer.sh). One whole verification
//! per pair (read both files, decode, detect, quality gate, selfie liveness, two embeddings, cosine, decision), one
//! pair at a time on one worker, over the first N rows of a pairs file: the same work, photos and order as
//! `DeepFace.verify` and the Python reference get there, so the p50s can be divided. With `--parallel` the two photos
//! go to two workers at once, as the service examines one request's photos: the latency a lone request sees.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use super::bench::{cpu_seconds, peak_rss_mib, percentile};
use super::eval::pairs::PairRow;
use crate::config::Settings;
use crate::decision::decide;
use crate::domain::Decision;
use crate::pipeline::{Evidence, Part};

#[derive(Debug, Serialize)]
pub struct PairTime {
    pub img_a: String,
    pub img_b: String,
    pub label: &'static str,
    pub outcome: &'static str,
    pub ms: f64,
}

#[derive(Debug, Serialize)]
pub struct Timing {
    pub p50: f64,
    pub p95: f64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub total_s: f64,
}

#[derive(Debug, Serialize)]
pub struct PairTimingReport {
    pub tool: &'static str,
    pub version: &'static str,
    pub n: usize,
    pub intra_threads: usize,
    /// Selfie and document on two workers at once (`--parallel`), or one after the other on one.
    pub parallel: bool,
    pub device: String,
    pub timing_ms: Timing,
    /// This process's CPU time (all threads) over the timed pairs, per pair: less sensitive to other load on the
    /// machine than the wall-clock times.
    pub cpu_ms_per_pair: f64,
    pub peak_rss_mib: f64,
    pub outcomes: std::collections::BTreeMap<String, usize>,
    pub false_non_match: usize,
    pub false_match: usize,
    pub pairs: Vec<PairTime>,
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn summarise(ms: &[f64], total_s: f64) -> Timing {
    let mut sorted = ms.to_vec();
    sorted.sort_by(f64::total_cmp);
    Timing {
        p50: percentile(&sorted, 50.0),
        p95: percentile(&sorted, 95.0),
        mean: round2(ms.iter().sum::<f64>() / ms.len().max(1) as f64),
        min: sorted.first().copied().unwrap_or(0.0),
        max: sorted.last().copied().unwrap_or(0.0),
        total_s: round2(total_s),
    }
}

/// Times the first `n` pairs of `pairs_csv` (after two untimed verifications of the first pair, which warm up both
/// workers when `parallel`).
pub fn time_pairs(settings: &Settings, pairs_csv: &Path, n: usize, parallel: bool) -> anyhow::Result<PairTimingReport> {
    let base = pairs_csv.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut rows = Vec::new();
    for row in csv::Reader::from_path(pairs_csv)?.deserialize::<PairRow>().take(n) {
        rows.push(row?);
    }
    anyhow::ensure!(!rows.is_empty(), "no pairs in {}", pairs_csv.display());
    // The pairs are face photos and the Python reference compares faces only: no document checks here.
    let mut settings = settings.clone();
    settings.pipeline.document.required = false;
    settings.pipeline.document.read_mrz = false;
    let pool = crate::engine::start(&settings)?;
    let thresholds = settings.thresholds.clone();
    let verify = |a: Vec<u8>, b: Vec<u8>| -> anyhow::Result<Evidence> {
        if !parallel {
            return Ok(pool.run_blocking(move |p| p.verify(&a, &b))??);
        }
        std::thread::scope(|s| {
            let selfie = s.spawn(|| pool.run_blocking(move |p| p.examine_bytes(&a, Part::Selfie)));
            let document = pool.run_blocking(move |p| p.examine_bytes(&b, Part::Document))??;
            let selfie = selfie.join().map_err(|_| anyhow::anyhow!("the selfie's thread panicked"))???;
            Ok(Evidence::new(selfie, document))
        })
    };
    let read = |name: &str| std::fs::read(base.join(name));
    if let (Ok(a), Ok(b)) = (read(&rows[0].img_a), read(&rows[0].img_b)) {
        let _ = verify(a.clone(), b.clone());
        let _ = verify(a, b);
    }
    let (started, cpu_before) = (Instant::now(), cpu_seconds());
    let mut pairs = Vec::with_capacity(rows.len());
    for row in &rows {
        let t0 = Instant::now();
        let outcome = match (read(&row.img_a), read(&row.img_b)) {
            (Ok(a), Ok(b)) => match verify(a, b) {
                Ok(evidence) => match decide(&evidence, &thresholds).decision {
                    Decision::Match => "match",
                    Decision::NoMatch => "no_match",
                    Decision::Review => "review",
                    Decision::Rejected => "rejected",
                },
                Err(_) => "error",
            },
            _ => "unreadable",
        };
        let ms = round2(t0.elapsed().as_secs_f64() * 1000.0);
        let label = if row.same == 1 { "genuine" } else { "impostor" };
        pairs.push(PairTime { img_a: row.img_a.clone(), img_b: row.img_b.clone(), label, outcome, ms });
    }
    let (total_s, cpu_s) = (started.elapsed().as_secs_f64(), cpu_seconds() - cpu_before);
    let ms: Vec<f64> = pairs.iter().map(|p| p.ms).collect();
    let mut outcomes = std::collections::BTreeMap::new();
    for p in &pairs {
        *outcomes.entry(format!("{}:{}", p.label, p.outcome)).or_insert(0) += 1;
    }
    Ok(PairTimingReport {
        tool: "faceverify",
        version: env!("CARGO_PKG_VERSION"),
        n: pairs.len(),
        intra_threads: settings.models.intra_threads,
        parallel,
        device: format!("{:?}", settings.models.device).to_lowercase(),
        timing_ms: summarise(&ms, total_s),
        cpu_ms_per_pair: round2(cpu_s * 1000.0 / pairs.len().max(1) as f64),
        peak_rss_mib: round2(peak_rss_mib()),
        false_non_match: pairs.iter().filter(|p| p.label == "genuine" && p.outcome != "match").count(),
        false_match: pairs.iter().filter(|p| p.label == "impostor" && p.outcome == "match").count(),
        outcomes,
        pairs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_sorted_times() {
        let t = summarise(&[30.0, 10.0, 20.0, 40.0, 50.0], 0.15);
        assert_eq!((t.p50, t.min, t.max, t.mean), (30.0, 10.0, 50.0, 30.0));
        assert_eq!(t.p95, 50.0);
        assert_eq!(summarise(&[], 0.0).p50, 0.0);
    }
}
