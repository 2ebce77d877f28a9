//! Accuracy reporting beyond the table: the DET curve (FNMR against FMR) as SVG, and presentation-attack
//! detection figures in ISO/IEC 30107-3 terms (APCER per attack type, BPCER) from a liveness CSV.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::pairs::Scores;
use crate::pipeline::pool::InferencePool;
use crate::pipeline::{decode, largest, DecodeLimits};

/// (FMR, FNMR) at every distinct impostor score, for the DET curve.
pub fn det_points(scores: &Scores) -> Vec<(f64, f64)> {
    let mut thresholds: Vec<f32> = scores.impostor.clone();
    thresholds.sort_by(|a, b| b.total_cmp(a));
    thresholds.dedup();
    let impostors = (scores.impostor.len() + scores.impostor_unscored).max(1) as f64;
    let genuine = (scores.genuine.len() + scores.genuine_unscored).max(1) as f64;
    thresholds
        .iter()
        .map(|&t| {
            let fmr = scores.impostor.iter().filter(|&&s| s >= t).count() as f64 / impostors;
            let rejected = scores.genuine.iter().filter(|&&s| s < t).count() + scores.genuine_unscored;
            (fmr, rejected as f64 / genuine)
        })
        .collect()
}

/// A DET plot on log-log axes (1e-4..1), one polyline per group.
pub fn det_svg(groups: &BTreeMap<String, Scores>) -> String {
    let (w, h, pad) = (560.0, 420.0, 60.0);
    let lo = 1e-4f64;
    let x = |fmr: f64| pad + (fmr.max(lo).log10() - lo.log10()) / -lo.log10() * (w - 2.0 * pad);
    let y = |fnmr: f64| h - pad - (fnmr.max(lo).log10() - lo.log10()) / -lo.log10() * (h - 2.0 * pad);
    let colours = ["#3a6ee8", "#d9480f", "#2b8a3e", "#7048e8", "#e8590c", "#495057"];
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="{pad}" y="24" font-size="13">DET: FNMR vs FMR (log-log; 1e-4 means none observed)</text>
<rect x="{pad}" y="{pad}" width="{}" height="{}" fill="none" stroke="#868e96"/>
"##,
        w - 2.0 * pad,
        h - 2.0 * pad
    );
    for decade in [1e-4, 1e-3, 1e-2, 1e-1, 1.0] {
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\">{decade:e}</text><text x=\"8\" y=\"{:.1}\">{decade:e}</text>\n",
            x(decade) - 12.0,
            h - pad + 16.0,
            y(decade) + 4.0
        ));
    }
    for (i, (name, scores)) in groups.iter().enumerate() {
        let colour = colours[i % colours.len()];
        let points: Vec<String> = det_points(scores).iter().map(|&(f, n)| format!("{:.1},{:.1}", x(f), y(n))).collect();
        out.push_str(&format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"/>\n<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{colour}\">{name}</text>\n",
            points.join(" "),
            w - pad - 110.0,
            pad + 16.0 + 14.0 * i as f64
        ));
    }
    out.push_str("</svg>\n");
    out
}

#[derive(Debug, Deserialize)]
struct LivenessRow {
    img: String,
    is_live: u8,
    attack_type: String,
}

/// Presentation-attack detection per attack type, at the service's thresholds: an attack is "accepted" when the
/// selfie would be labelled live; "no face" attacks are counted apart (the service rejects those anyway).
#[derive(Debug, Serialize, Default, Clone)]
pub struct PadRow {
    pub attack_type: String,
    pub samples: usize,
    pub no_face: usize,
    pub accepted_as_live: usize,
    /// APCER for attacks, BPCER for bona fide rows (`live`).
    pub error_rate: f64,
    pub scores: Vec<f32>,
}

/// P(real) of the main face of each image (None: unreadable or no face).
fn live_scores(
    pool: &InferencePool,
    paths: Vec<std::path::PathBuf>,
    limits: &DecodeLimits,
    min_score: f32,
) -> Vec<Option<f32>> {
    paths
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).ok()?;
            let limits = limits.clone();
            pool.run_blocking(move |p| {
                let img = decode(&bytes, &limits).ok()?;
                let faces = p.detect(&img, min_score).ok()?;
                let face = *largest(&faces)?;
                p.liveness(&img, &face).ok().map(|probs| probs[1])
            })
            .ok()
            .flatten()
        })
        .collect()
}

/// APCER per attack type and BPCER on the live rows of `csv` (img, is_live, attack_type, ...).
pub fn pad_report(
    pool: &InferencePool,
    csv_path: &Path,
    limits: &DecodeLimits,
    min_score: f32,
    live_min: f32,
) -> Result<Vec<PadRow>, csv::Error> {
    let base = csv_path.parent().unwrap_or(Path::new("."));
    let rows: Vec<LivenessRow> = csv::Reader::from_path(csv_path)?.deserialize().collect::<Result<_, _>>()?;
    let scores = live_scores(pool, rows.iter().map(|r| base.join(&r.img)).collect(), limits, min_score);
    let mut by_type: BTreeMap<String, PadRow> = BTreeMap::new();
    for (row, score) in rows.iter().zip(scores) {
        let key = if row.is_live == 1 { "live (bona fide)".to_owned() } else { row.attack_type.clone() };
        let entry = by_type.entry(key.clone()).or_insert_with(|| PadRow { attack_type: key, ..PadRow::default() });
        entry.samples += 1;
        match score {
            None => entry.no_face += 1,
            Some(s) => {
                entry.scores.push(s);
                if s >= live_min {
                    entry.accepted_as_live += 1;
                }
            }
        }
    }
    let mut out: Vec<PadRow> = by_type.into_values().collect();
    for row in &mut out {
        let scored = row.scores.len().max(1) as f64;
        row.error_rate = if row.attack_type.starts_with("live") {
            (row.scores.len() - row.accepted_as_live) as f64 / scored
        } else {
            row.accepted_as_live as f64 / scored
        };
    }
    Ok(out)
}

/// BPCER over bona fide photos (every unique image of a pairs file): the share whose selfie would not be live.
pub fn bpcer_on_pairs(
    pool: &InferencePool,
    pairs_csv: &Path,
    limits: &DecodeLimits,
    min_score: f32,
    live_min: f32,
) -> Result<PadRow, csv::Error> {
    let base = pairs_csv.parent().unwrap_or(Path::new("."));
    let mut images = std::collections::BTreeSet::new();
    for record in csv::Reader::from_path(pairs_csv)?.records() {
        let record = record?;
        images.extend([record.get(0).unwrap_or("").to_owned(), record.get(1).unwrap_or("").to_owned()]);
    }
    let scores = live_scores(pool, images.iter().map(|i| base.join(i)).collect(), limits, min_score);
    let mut row = PadRow { attack_type: "bona fide (pairs photos)".into(), ..PadRow::default() };
    for s in scores {
        row.samples += 1;
        match s {
            None => row.no_face += 1,
            Some(s) => {
                row.scores.push(s);
                if s >= live_min {
                    row.accepted_as_live += 1;
                }
            }
        }
    }
    row.error_rate = (row.scores.len() - row.accepted_as_live) as f64 / row.scores.len().max(1) as f64;
    row.scores.clear();
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn det_points_trade_fmr_for_fnmr_monotonically() {
        let scores = Scores {
            genuine: vec![0.9, 0.8, 0.5, 0.3],
            impostor: vec![0.1, 0.2, 0.35, 0.6],
            genuine_unscored: 0,
            impostor_unscored: 0,
        };
        let points = det_points(&scores);
        assert_eq!(
            points.first(),
            Some(&(0.25, 0.5)),
            "at the highest impostor score: 1 of 4 impostors, 2 of 4 genuine below"
        );
        assert_eq!(points.last(), Some(&(1.0, 0.0)));
        assert!(points.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 >= w[1].1));
        let mut groups = BTreeMap::new();
        groups.insert("g".to_owned(), scores);
        assert!(det_svg(&groups).contains("<polyline"));
    }
}
