//! `faceverify calibrate-1n PAIRS.csv`: the 1:N duplicate rule, from the impostor tail of the photos of a pairs file.
//!
//! Every photo is embedded once; every two photos of different identities give an impostor comparison, every two
//! of one identity a re-application (the same person's other photo as the selfie, and that photo on a synthesised,
//! photographed ID card as the document). The upper tail of the impostor scores is fitted (`gallery::ImpostorTail`)
//! and read at the bar each gallery size needs for the target FPIR. How sure that is comes from a bootstrap over
//! identities (the comparisons of one person are not independent): identities are drawn with replacement, the tail
//! refitted, and the 2.5th and 97.5th percentiles of each figure reported.
//!
//! What the report cannot do: the galleries it speaks of (10^4..10^6 templates) need FMR of 10^-7..10^-9, which no
//! labelled set here can count; the figures extrapolate a fitted model, and the interval says how far that holds
//! on this many identities. The lender must refit on its own applicants' impostor scores.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::pairs::{embed_all, PairRow};
use super::stats::Proportion;
use crate::decision::Thresholds;
use crate::gallery::ImpostorTail;
use crate::pipeline::pool::InferencePool;
use crate::pipeline::{DecodeLimits, Embedding};
use crate::seeded::SplitMix;

/// `calibrate-1n`'s flags.
pub struct IdentificationOptions {
    pub pairs: PathBuf,
    pub target_fpir: f64,
    /// The share of impostor scores the tail model covers.
    pub tail_fraction: f64,
    pub gallery_sizes: Vec<usize>,
    pub resamples: usize,
}

#[derive(Debug, Serialize)]
pub struct IdentificationReport {
    pub photos: usize,
    /// Photos where no face was found (left out of every comparison).
    pub photos_without_face: usize,
    pub identities: usize,
    pub impostor_comparisons: usize,
    pub highest_impostor_score: f32,
    /// Fitted on all impostor comparisons: the `thresholds.impostor_tail` to configure.
    pub tail: ImpostorTail,
    /// Where the data can check the model, on identities it was not fitted to: the tail fitted on half of the
    /// identities, read at a few rates, and the share of the other half's comparisons at or above each score.
    pub fit_check: Vec<FitCheck>,
    pub target_fpir: f64,
    /// The configured floor (`thresholds.duplicate_min`).
    pub duplicate_min: f32,
    /// Bootstrap resamples over identities that gave a fit.
    pub resamples: usize,
    pub galleries: Vec<GalleryReport>,
}

#[derive(Debug, Serialize)]
pub struct FitCheck {
    /// The FMR the tail fitted on one half predicts (at its own score per half).
    pub modelled: f64,
    /// Pooled over both halves: comparisons of the other half at or above that score.
    pub observed: Proportion,
}

/// A figure from the tail fitted on all comparisons, with its 95% bootstrap interval.
#[derive(Debug, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub ci95: [f64; 2],
}

#[derive(Debug, Serialize)]
pub struct GalleryReport {
    pub templates: usize,
    /// FPIR of a fixed bar at `duplicate_min`: what the gallery would flag without the rule.
    pub fpir_at_duplicate_min: Estimate,
    /// The rule's bar for the target FPIR (before the floor).
    pub bar: Estimate,
    /// The bar the service uses: the rule's, never below `duplicate_min`.
    pub effective_bar: f32,
    /// Re-applications the search misses at the effective bar: the same person's other photo as the selfie.
    pub fnir_selfie: Proportion,
    /// ... and as the portrait on a synthesised, photographed ID card (a card where no face was found is a miss).
    pub fnir_document: Proportion,
}

/// One embedded photo.
struct Photo {
    identity: usize,
    face: Embedding,
    card: Option<Embedding>,
}

pub fn run(
    pool: &InferencePool,
    opts: &IdentificationOptions,
    limits: &DecodeLimits,
    selfie_min_score: f32,
    document_min_score: f32,
    thresholds: &Thresholds,
) -> anyhow::Result<IdentificationReport> {
    let (photos, without_face, identities) =
        embed_photos(pool, &opts.pairs, limits, selfie_min_score, document_min_score)?;
    let impostor = impostor_scores(&photos, &(0..identities).collect::<Vec<_>>());
    let highest = impostor.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let Some(tail) = ImpostorTail::fit(&impostor, opts.tail_fraction) else {
        anyhow::bail!("too few impostor comparisons to fit a tail ({})", impostor.len());
    };
    let fit_check = held_out_check(&photos, identities, opts.tail_fraction);
    // Bootstrap over identities: each resample refits the tail on the comparisons of the drawn identities.
    let mut rng = SplitMix(0x1_0000_0001);
    let tails: Vec<ImpostorTail> = (0..opts.resamples)
        .filter_map(|_| {
            let drawn: Vec<usize> = (0..identities).map(|_| rng.below(identities)).collect();
            ImpostorTail::fit(&impostor_scores(&photos, &drawn), opts.tail_fraction)
        })
        .collect();
    let (selfie_scores, card_scores) = genuine_scores(&photos);
    let galleries = opts
        .gallery_sizes
        .iter()
        .map(|&n| {
            let fpir = |t: &ImpostorTail| t.fpir(thresholds.duplicate_min, n);
            let bar = |t: &ImpostorTail| t.bar_for(opts.target_fpir, n);
            let effective_bar = (bar(&tail).min(1.0) as f32).max(thresholds.duplicate_min);
            let missed = |scores: &[Option<f32>]| {
                let k = scores.iter().filter(|s| s.is_none_or(|s| s < effective_bar)).count();
                Proportion::new(k, scores.len())
            };
            GalleryReport {
                templates: n,
                fpir_at_duplicate_min: estimate(fpir(&tail), tails.iter().map(fpir)),
                bar: estimate(bar(&tail), tails.iter().map(bar)),
                effective_bar,
                fnir_selfie: missed(&selfie_scores),
                fnir_document: missed(&card_scores),
            }
        })
        .collect();
    Ok(IdentificationReport {
        photos: photos.len() + without_face,
        photos_without_face: without_face,
        identities,
        impostor_comparisons: impostor.len(),
        highest_impostor_score: highest,
        tail,
        fit_check,
        target_fpir: opts.target_fpir,
        duplicate_min: thresholds.duplicate_min,
        resamples: tails.len(),
        galleries,
    })
}

/// Two halves of the identities (alternately, in name order): the tail fitted on one half's comparisons predicts the
/// FMR at a few scores, the other half's comparisons say what it is; both ways, pooled.
fn held_out_check(photos: &[Photo], identities: usize, fraction: f64) -> Vec<FitCheck> {
    let halves: [Vec<usize>; 2] = [(0..identities).step_by(2).collect(), (1..identities).step_by(2).collect()];
    let scores = halves.each_ref().map(|h| impostor_scores(photos, h));
    let tails = scores.each_ref().map(|s| ImpostorTail::fit(s, fraction));
    [1e-2, 3e-3, 1e-3]
        .into_iter()
        .map(|rate| {
            let (mut k, mut n) = (0, 0);
            for (fitted, test) in [(0, 1), (1, 0)] {
                let Some(tail) = tails[fitted] else { continue };
                let score = tail.threshold_for(rate) as f32;
                k += scores[test].iter().filter(|&&s| s >= score).count();
                n += scores[test].len();
            }
            FitCheck { modelled: rate, observed: Proportion::new(k, n) }
        })
        .collect()
}

/// The photos of a pairs file with a face (at the selfie threshold: the gallery holds selfies), each with its identity's index and its card portrait's embedding;
/// how many had no face; how many identities.
fn embed_photos(
    pool: &InferencePool,
    pairs: &Path,
    limits: &DecodeLimits,
    selfie_min_score: f32,
    document_min_score: f32,
) -> anyhow::Result<(Vec<Photo>, usize, usize)> {
    let mut identity_of: BTreeMap<String, String> = BTreeMap::new();
    for row in csv::Reader::from_path(pairs)?.deserialize::<PairRow>() {
        let row = row?;
        anyhow::ensure!(
            !row.identity_a.is_empty() && !row.identity_b.is_empty(),
            "calibrate-1n needs the identity_a and identity_b columns"
        );
        identity_of.insert(row.img_a, format!("{}/{}", row.source, row.identity_a));
        identity_of.insert(row.img_b, format!("{}/{}", row.source, row.identity_b));
    }
    let names: Vec<String> = identity_of.keys().cloned().collect();
    let base = pairs.parent().unwrap_or(Path::new("."));
    let mut faces = embed_all(pool, base, &names, limits, selfie_min_score, false)?;
    let mut cards = embed_all(pool, base, &names, limits, document_min_score, true)?;
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut photos = Vec::new();
    let mut without_face = 0;
    for name in &names {
        let Some(Some(face)) = faces.remove(name) else {
            without_face += 1;
            continue;
        };
        let next = index.len();
        let identity = *index.entry(identity_of[name].as_str()).or_insert(next);
        photos.push(Photo { identity, face, card: cards.remove(name).flatten() });
    }
    Ok((photos, without_face, index.len()))
}

/// The scores of every two photos of different identities among `drawn` (identities drawn with replacement: a
/// photo pair counts once per pair of draws that picks its two identities).
fn impostor_scores(photos: &[Photo], drawn: &[usize]) -> Vec<f32> {
    let mut times = vec![0usize; drawn.iter().max().map_or(0, |m| m + 1)];
    for &d in drawn {
        times[d] += 1;
    }
    let mut scores = Vec::new();
    for (i, a) in photos.iter().enumerate() {
        for b in &photos[i + 1..] {
            if a.identity == b.identity {
                continue;
            }
            let pairs = times.get(a.identity).copied().unwrap_or(0) * times.get(b.identity).copied().unwrap_or(0);
            if pairs > 0 {
                let s = a.face.cosine(&b.face);
                scores.extend(std::iter::repeat_n(s, pairs));
            }
        }
    }
    scores
}

/// Re-applications: every two photos of one identity (selfie vs selfie, unordered), and every photo's card against
/// each other photo of its identity (document vs selfie); `None` where the card had no face.
fn genuine_scores(photos: &[Photo]) -> (Vec<Option<f32>>, Vec<Option<f32>>) {
    let (mut selfie, mut card) = (Vec::new(), Vec::new());
    for (i, a) in photos.iter().enumerate() {
        for (j, b) in photos.iter().enumerate() {
            if i == j || a.identity != b.identity {
                continue;
            }
            if i < j {
                selfie.push(Some(a.face.cosine(&b.face)));
            }
            card.push(a.card.as_ref().map(|c| c.cosine(&b.face)));
        }
    }
    (selfie, card)
}

/// The point value and the 2.5th..97.5th percentiles of the resamples.
fn estimate(value: f64, resampled: impl Iterator<Item = f64>) -> Estimate {
    let mut r: Vec<f64> = resampled.collect();
    r.sort_by(f64::total_cmp);
    let at = |q: f64| r.get(((r.len().saturating_sub(1)) as f64 * q).round() as usize).copied().unwrap_or(value);
    Estimate { value, ci95: [at(0.025), at(0.975)] }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(identity: usize, v: [f32; 2]) -> Photo {
        let mut raw = [0.0; crate::pipeline::EMBEDDING_DIM];
        raw[..2].copy_from_slice(&v);
        let face = Embedding::normalised(&mut raw).expect("unit");
        Photo { identity, card: Some(face.clone()), face }
    }

    #[test]
    fn impostor_comparisons_follow_the_drawn_identities() {
        let photos = [photo(0, [1.0, 0.0]), photo(0, [0.9, 0.1]), photo(1, [0.0, 1.0]), photo(2, [0.7, 0.7])];
        // Two photos of 0 against 1 and against 2, one of 1 against 2.
        assert_eq!(impostor_scores(&photos, &[0, 1, 2]).len(), 5);
        // Identity 0 drawn twice: its comparisons with 1 count twice; 2 not drawn.
        assert_eq!(impostor_scores(&photos, &[0, 0, 1]).len(), 4);
        // Never a comparison of one identity with itself, however often drawn.
        assert!(impostor_scores(&photos, &[0, 0]).is_empty());
        let (selfie, card) = genuine_scores(&photos);
        assert_eq!((selfie.len(), card.len()), (1, 2));
    }

    #[test]
    fn estimates_take_the_outer_percentiles() {
        let e = estimate(0.5, (0..=1000).map(|i| i as f64 / 1000.0));
        assert_eq!(e.ci95, [0.025, 0.975]);
        assert_eq!(estimate(0.5, std::iter::empty()).ci95, [0.5, 0.5]);
    }
}
