//! `faceverify eval PAIRS.csv`: 1:1 accuracy on a labelled pairs file (img_a, img_b, same, source, ...).
//! Every image goes through the service's own decode -> detect -> align -> embed path.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::pipeline::pool::InferencePool;
use crate::pipeline::{decode, largest, DecodeLimits, Embedding};

#[derive(Debug, Deserialize)]
pub(crate) struct PairRow {
    pub(crate) img_a: String,
    pub(crate) img_b: String,
    pub(crate) same: u8,
    pub(crate) source: String,
    /// Who is in each photo (for identity-disjoint calibration); empty in files without the columns.
    #[serde(default)]
    pub(crate) identity_a: String,
    #[serde(default)]
    pub(crate) identity_b: String,
}

/// One pair and its score; `None` when a photo yielded no face.
#[derive(Debug, Clone, Serialize)]
pub struct ScoredPair {
    pub img_a: String,
    pub img_b: String,
    pub same: bool,
    pub source: String,
    pub identity_a: String,
    pub identity_b: String,
    pub score: Option<f32>,
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read pairs file: {0}")]
    Csv(#[from] csv::Error),
    #[error("no pairs selected")]
    Empty,
    #[error("inference: {0}")]
    Inference(String),
}

/// Scores of one group of pairs. A pair with an image where no face was found counts as a non-match.
#[derive(Debug, Default, Clone)]
pub struct Scores {
    pub genuine: Vec<f32>,
    pub impostor: Vec<f32>,
    pub genuine_unscored: usize,
    pub impostor_unscored: usize,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Report {
    pub source: String,
    pub genuine: usize,
    pub impostor: usize,
    /// Pairs where an image yielded no face (failure to acquire); counted as rejections.
    pub unscored: usize,
    pub threshold: f32,
    pub fnmr: f64,
    pub fmr: f64,
    pub threshold_fmr_1e3: f32,
    pub fnmr_at_fmr_1e3: f64,
    pub threshold_fmr_1e4: f32,
    pub fnmr_at_fmr_1e4: f64,
}

impl Scores {
    fn fnmr(&self, t: f32) -> f64 {
        let rejected = self.genuine.iter().filter(|&&s| s < t).count() + self.genuine_unscored;
        ratio(rejected, self.genuine.len() + self.genuine_unscored)
    }

    fn fmr(&self, t: f32) -> f64 {
        let accepted = self.impostor.iter().filter(|&&s| s >= t).count();
        ratio(accepted, self.impostor.len() + self.impostor_unscored)
    }

    /// The lowest threshold whose FMR does not exceed `target`.
    pub fn threshold_for_fmr(&self, target: f64) -> f32 {
        let mut sorted = self.impostor.clone();
        sorted.sort_by(|a, b| b.total_cmp(a));
        let total = self.impostor.len() + self.impostor_unscored;
        let allowed = (target * total as f64).floor() as usize;
        match sorted.get(allowed) {
            Some(s) => next_up(*s),
            // The target admits every impostor: any threshold will do.
            None => -1.0,
        }
    }

    pub fn report(&self, source: &str, threshold: f32) -> Report {
        let (t3, t4) = (self.threshold_for_fmr(1e-3), self.threshold_for_fmr(1e-4));
        Report {
            source: source.to_owned(),
            genuine: self.genuine.len() + self.genuine_unscored,
            impostor: self.impostor.len() + self.impostor_unscored,
            unscored: self.genuine_unscored + self.impostor_unscored,
            threshold,
            fnmr: self.fnmr(threshold),
            fmr: self.fmr(threshold),
            threshold_fmr_1e3: t3,
            fnmr_at_fmr_1e3: self.fnmr(t3),
            threshold_fmr_1e4: t4,
            fnmr_at_fmr_1e4: self.fnmr(t4),
        }
    }

    pub(crate) fn add(&mut self, same: bool, score: Option<f32>) {
        match (same, score) {
            (true, Some(s)) => self.genuine.push(s),
            (false, Some(s)) => self.impostor.push(s),
            (true, None) => self.genuine_unscored += 1,
            (false, None) => self.impostor_unscored += 1,
        }
    }
}

/// The smallest f32 above `v` (scores are finite cosines).
fn next_up(v: f32) -> f32 {
    if v == 0.0 {
        f32::from_bits(1)
    } else if v > 0.0 {
        f32::from_bits(v.to_bits() + 1)
    } else {
        f32::from_bits(v.to_bits() - 1)
    }
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

/// Every distinct photo named in a pairs file, relative to its folder.
pub(crate) fn photos_of(pairs_csv: &Path) -> Result<std::collections::BTreeSet<String>, EvalError> {
    let mut photos = std::collections::BTreeSet::new();
    for row in csv::Reader::from_path(pairs_csv)?.deserialize::<PairRow>() {
        let row = row?;
        photos.extend([row.img_a, row.img_b]);
    }
    Ok(photos)
}

/// Which photos a pair compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairMode {
    /// The two photos as they are.
    Photos,
    /// The first photo as the selfie, the second as the portrait of a synthesised, photographed ID card
    /// (`document::synth`): the comparison the service makes.
    SelfieVsCard,
}

/// Scores every selected pair of `pairs_csv` (all sources when `sources` is empty), grouped by source.
pub fn score_pairs(
    pool: &InferencePool,
    pairs_csv: &Path,
    sources: &[String],
    limits: &DecodeLimits,
    min_score: f32,
    mode: PairMode,
) -> Result<BTreeMap<String, Scores>, EvalError> {
    Ok(group_by_source(&pair_scores(pool, pairs_csv, sources, limits, min_score, mode)?))
}

/// The scores of `pairs` per source, and of all of them under `all`.
pub fn group_by_source(pairs: &[ScoredPair]) -> BTreeMap<String, Scores> {
    let mut groups: BTreeMap<String, Scores> = BTreeMap::new();
    for pair in pairs {
        groups.entry(pair.source.clone()).or_default().add(pair.same, pair.score);
        groups.entry("all".to_owned()).or_default().add(pair.same, pair.score);
    }
    groups
}

/// Every selected pair of `pairs_csv` with its score, in file order.
pub fn pair_scores(
    pool: &InferencePool,
    pairs_csv: &Path,
    sources: &[String],
    limits: &DecodeLimits,
    min_score: f32,
    mode: PairMode,
) -> Result<Vec<ScoredPair>, EvalError> {
    let base = pairs_csv.parent().unwrap_or(Path::new("."));
    let mut rows = Vec::new();
    for row in csv::Reader::from_path(pairs_csv)?.deserialize::<PairRow>() {
        let row = row?;
        if sources.is_empty() || sources.contains(&row.source) {
            rows.push(row);
        }
    }
    if rows.is_empty() {
        return Err(EvalError::Empty);
    }
    let mut images: Vec<String> = rows.iter().flat_map(|r| [r.img_a.clone(), r.img_b.clone()]).collect();
    images.sort();
    images.dedup();
    let embeddings = embed_all(pool, base, &images, limits, min_score, false)?;
    let cards = match mode {
        PairMode::Photos => None,
        PairMode::SelfieVsCard => Some(embed_all(pool, base, &images, limits, min_score, true)?),
    };
    let second = cards.as_ref().unwrap_or(&embeddings);
    Ok(rows
        .into_iter()
        .map(|row| {
            let score = match (embeddings.get(&row.img_a), second.get(&row.img_b)) {
                (Some(Some(a)), Some(Some(b))) => Some(a.cosine(b)),
                _ => None,
            };
            ScoredPair {
                img_a: row.img_a,
                img_b: row.img_b,
                same: row.same == 1,
                source: row.source,
                identity_a: row.identity_a,
                identity_b: row.identity_b,
                score,
            }
        })
        .collect())
}

/// Writes the scored pairs as CSV (img_a, img_b, same, source, identity_a, identity_b, score; an empty score where
/// a photo yielded no face).
pub fn write_scores(path: &Path, pairs: &[ScoredPair]) -> Result<(), EvalError> {
    let mut out = csv::Writer::from_path(path)?;
    for p in pairs {
        out.serialize(p)?;
    }
    out.flush().map_err(|e| EvalError::Csv(e.into()))?;
    Ok(())
}

pub(crate) fn embed_all(
    pool: &InferencePool,
    base: &Path,
    images: &[String],
    limits: &DecodeLimits,
    min_score: f32,
    card: bool,
) -> Result<HashMap<String, Option<Embedding>>, EvalError> {
    let chunk = images.len().div_ceil(pool.workers().max(1)).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = images
            .chunks(chunk)
            .map(|names| {
                scope.spawn(move || {
                    names
                        .iter()
                        .map(|name| {
                            let embedding = embed_file(pool, base.join(name), limits.clone(), min_score, card)?;
                            Ok((name.clone(), embedding))
                        })
                        .collect::<Result<Vec<_>, EvalError>>()
                })
            })
            .collect();
        let mut out = HashMap::new();
        for h in handles {
            let part = h.join().map_err(|_| EvalError::Inference("worker thread panicked".into()))??;
            out.extend(part);
        }
        Ok(out)
    })
}

/// The embedding of the largest face, or `None` when the file is unreadable or has no face. With `card`, of the
/// photo as the portrait of a photographed specimen card (seeded by the file name, so every run makes the same).
fn embed_file(
    pool: &InferencePool,
    path: PathBuf,
    limits: DecodeLimits,
    min_score: f32,
    card: bool,
) -> Result<Option<Embedding>, EvalError> {
    let Ok(bytes) = std::fs::read(&path) else {
        tracing::warn!(path = %path.display(), "unreadable image");
        return Ok(None);
    };
    let bytes = if card {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(path.to_string_lossy().as_bytes());
        let seed = u64::from_le_bytes(std::array::from_fn(|i| digest[i]));
        let Some(card) = crate::document::synth::photographed(&bytes, seed) else { return Ok(None) };
        card
    } else {
        bytes
    };
    pool.run_blocking(move |p| -> Result<Option<Embedding>, String> {
        let Ok(img) = decode(&bytes, &limits) else { return Ok(None) };
        let faces = p.detect(&img, min_score).map_err(|e| e.to_string())?;
        match largest(&faces) {
            Some(face) => p.embed(&img, face).map(Some).map_err(|e| e.to_string()),
            None => Ok(None),
        }
    })
    .map_err(|e| EvalError::Inference(e.to_string()))?
    .map_err(EvalError::Inference)
}

/// Plain-text table of reports.
pub fn render(reports: &[Report]) -> String {
    let mut out = format!(
        "{:<18} {:>7} {:>8} {:>8} {:>9} {:>9} {:>9} {:>10} {:>9} {:>10}\n",
        "source", "genuine", "impostor", "unscored", "FNMR", "FMR", "t@FMR1e-3", "FNMR@1e-3", "t@FMR1e-4", "FNMR@1e-4"
    );
    for r in reports {
        out.push_str(&format!(
            "{:<18} {:>7} {:>8} {:>8} {:>8.2}% {:>8.3}% {:>9.3} {:>9.2}% {:>9.3} {:>9.2}%\n",
            r.source,
            r.genuine,
            r.impostor,
            r.unscored,
            r.fnmr * 100.0,
            r.fmr * 100.0,
            r.threshold_fmr_1e3,
            r.fnmr_at_fmr_1e3 * 100.0,
            r.threshold_fmr_1e4,
            r.fnmr_at_fmr_1e4 * 100.0
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores() -> Scores {
        Scores {
            genuine: vec![0.9, 0.8, 0.7, 0.35],
            impostor: (0..1000).map(|i| i as f32 / 2000.0).collect(),
            genuine_unscored: 0,
            impostor_unscored: 0,
        }
    }

    #[test]
    fn rates_at_a_threshold() {
        let s = scores();
        assert_eq!(s.fnmr(0.5), 0.25);
        assert_eq!(s.fmr(0.4995), 0.001);
        assert_eq!(s.fmr(0.6), 0.0);
    }

    #[test]
    fn threshold_for_fmr_admits_at_most_the_target_share() {
        let s = scores();
        let t = s.threshold_for_fmr(1e-3);
        assert!(s.fmr(t) <= 1e-3);
        assert!(s.fmr(t - 0.001) > 1e-3);
        let t4 = s.threshold_for_fmr(1e-4);
        assert_eq!(s.fmr(t4), 0.0);
    }

    #[test]
    fn thresholds_step_just_above_negative_and_zero_scores() {
        assert!(next_up(-0.25) > -0.25 && next_up(-0.25) < -0.2499);
        assert!(next_up(0.0) > 0.0);
        let s = Scores { impostor: vec![-0.3, -0.5], ..Scores::default() };
        assert_eq!(s.fmr(s.threshold_for_fmr(1e-3)), 0.0);
    }

    #[test]
    fn unscored_genuine_pairs_count_as_rejections() {
        let mut s = scores();
        s.genuine_unscored = 4;
        assert_eq!(s.fnmr(0.0), 0.5);
    }
}
