//! `faceverify eval-liveness SESSIONS.csv`: the liveness-session analysis on synthesised sessions. Each row names a
//! real photo (relative to the CSV's folder, or `--faces-dir`), the kind of session to make from it, a seed (the
//! challenge and the sensor noise), and for `other_face` a second person's photo. Kinds:
//! - `bona_fide`: the clip a live applicant gives for the drawn challenge (`liveness::synth::genuine`);
//! - `still_photo`: one still picture held up (the same frame throughout);
//! - `wrong_order`: the right person and light, the movements of another challenge (a replayed recording);
//! - `out_of_sync`: the right movements, lit by another colour schedule (a recording from another session);
//! - `no_light_response`: the right movements, no response to the screen (a print or mask moved by hand);
//! - `other_face`: a second person's face for a third of the frames (a swap mid-stream).
//!
//! Prints JSON: BPCER (bona fide sessions not passed) and APCER per attack kind (attack sessions passed), each with
//! its 95% interval, the failure codes seen, and the photos that could not make a clip (not exactly one face).
//! WHAT IS SIMULATED: the head poses (a warp of one photo) and the screen's light on the skin (a tint); a replay of
//! the exact frames of another session is caught by the frame hashes the service stores, not by this analysis, and
//! is tested through the API instead. A lender must re-measure BPCER and APCER on real captures from its devices.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::stats::Proportion;
use crate::liveness::synth::{self, Options, Subject};
use crate::liveness::{analyse, challenge, LivenessSettings};
use crate::pipeline::pool::InferencePool;
use crate::seeded::SplitMix;

pub const KINDS: [&str; 6] =
    ["bona_fide", "still_photo", "wrong_order", "out_of_sync", "no_light_response", "other_face"];

#[derive(Debug, Deserialize)]
struct Row {
    photo: String,
    kind: String,
    seed: u64,
    #[serde(default)]
    other: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct LivenessReport {
    /// Bona fide sessions that did not pass.
    pub bpcer: Proportion,
    /// Per attack kind: sessions that passed.
    pub apcer: BTreeMap<String, Proportion>,
    /// Failure codes over the bona fide sessions that failed (why genuine captures were refused).
    pub bona_fide_failures: BTreeMap<String, usize>,
    /// Each refused bona fide session: its photo (a public test photo's path) and the failure codes.
    pub bona_fide_refused: Vec<(String, Vec<String>)>,
    /// Failure codes per attack kind (which check caught it; several may).
    pub attack_failures: BTreeMap<String, BTreeMap<String, usize>>,
    /// Rows whose photo could not make a clip (not exactly one face), skipped.
    pub unusable_photos: Vec<String>,
    pub frames_per_session_median: usize,
}

/// The seeded source of a row's challenge.
fn seeded(seed: u64) -> impl FnMut() -> u32 {
    let mut rng = SplitMix(seed);
    move || rng.next_u32()
}

/// The outcome of one row: `None` when its photo cannot make a clip; else the failure codes (empty: passed) and
/// the frame count.
type Outcome = Option<(Vec<&'static str>, usize)>;

fn session(
    pool: &InferencePool,
    settings: &LivenessSettings,
    row: &Row,
    photo: Vec<u8>,
    other: Option<Vec<u8>>,
) -> anyhow::Result<Outcome> {
    let settings = settings.clone();
    let kind = row.kind.clone();
    let seed = row.seed;
    let outcome = pool.run_blocking(move |p| -> anyhow::Result<Outcome> {
        let Ok(subject) = Subject::prepare(p, &photo) else { return Ok(None) };
        let challenge = challenge::draw_from(&settings, seeded(seed));
        let opts = Options { seed, ..Options::default() };
        let clip = match kind.as_str() {
            "bona_fide" => synth::genuine(&subject, &challenge, &opts),
            "still_photo" => synth::still(&subject, &challenge, &opts),
            "wrong_order" => synth::wrong_order(&subject, &challenge, &synth::other_order(&challenge.actions), &opts),
            "out_of_sync" => {
                let other = challenge::draw_from(&settings, seeded(seed ^ 0x5eed));
                synth::out_of_sync(&subject, &challenge, &other.flashes, &opts)
            }
            "no_light_response" => synth::no_light(&subject, &challenge, &opts),
            "other_face" => {
                let Some(Ok(second)) = other.map(|o| Subject::prepare(p, &o)) else { return Ok(None) };
                let clip = synth::genuine(&subject, &challenge, &opts);
                let swapped = synth::genuine(&second, &challenge, &opts);
                let third = clip.len() / 3;
                synth::spliced(clip, swapped, third..2 * third)
            }
            other => anyhow::bail!("unknown session kind {other:?} (one of {})", KINDS.join(", ")),
        };
        let frames = synth::encode(&clip)?;
        let analysis = analyse(p, &frames, &challenge, &settings)?;
        let mut codes: Vec<&'static str> = analysis.failures.iter().map(|f| f.as_str()).collect();
        if codes.is_empty() && analysis.best.is_none() {
            codes.push("no_best_frame");
        }
        Ok(Some((codes, frames.len())))
    })??;
    Ok(outcome)
}

pub fn run(
    pool: &InferencePool,
    settings: &LivenessSettings,
    csv: &Path,
    faces_dir: &Path,
) -> anyhow::Result<LivenessReport> {
    let mut reader = csv::Reader::from_path(csv)?;
    let mut bona = (0usize, 0usize);
    let mut attacks: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut bona_fide_failures = BTreeMap::new();
    let mut bona_fide_refused = Vec::new();
    let mut attack_failures: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut unusable = Vec::new();
    let mut frame_counts = Vec::new();
    for row in reader.deserialize() {
        let row: Row = row?;
        if !KINDS.contains(&row.kind.as_str()) {
            anyhow::bail!("unknown session kind {:?} (one of {})", row.kind, KINDS.join(", "));
        }
        let photo = std::fs::read(faces_dir.join(&row.photo))?;
        let other = match &row.other {
            Some(o) if !o.is_empty() => Some(std::fs::read(faces_dir.join(o))?),
            _ => None,
        };
        let Some((codes, frames)) = session(pool, settings, &row, photo, other)? else {
            unusable.push(row.photo.clone());
            continue;
        };
        frame_counts.push(frames);
        let passed = codes.is_empty();
        if row.kind == "bona_fide" {
            bona.1 += 1;
            if !passed {
                bona.0 += 1;
                for code in &codes {
                    *bona_fide_failures.entry((*code).to_owned()).or_insert(0) += 1;
                }
                bona_fide_refused.push((row.photo.clone(), codes.iter().map(|c| (*c).to_owned()).collect()));
            }
        } else {
            let entry = attacks.entry(row.kind.clone()).or_insert((0, 0));
            entry.1 += 1;
            if passed {
                entry.0 += 1;
            }
            let caught = attack_failures.entry(row.kind.clone()).or_default();
            for code in codes {
                *caught.entry(code.to_owned()).or_insert(0) += 1;
            }
        }
    }
    frame_counts.sort_unstable();
    unusable.sort();
    unusable.dedup();
    Ok(LivenessReport {
        bpcer: Proportion::new(bona.0, bona.1),
        apcer: attacks.into_iter().map(|(kind, (k, n))| (kind, Proportion::new(k, n))).collect(),
        bona_fide_failures,
        bona_fide_refused,
        attack_failures,
        unusable_photos: unusable,
        frames_per_session_median: frame_counts.get(frame_counts.len() / 2).copied().unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_one_challenge_and_seeds_differ() {
        let settings = crate::config::Settings::defaults().expect("defaults").liveness;
        let a = challenge::draw_from(&settings, seeded(7));
        assert_eq!(a, challenge::draw_from(&settings, seeded(7)));
        let distinct: std::collections::HashSet<String> = (0..50)
            .map(|s| serde_json::to_string(&challenge::draw_from(&settings, seeded(s))).expect("json"))
            .collect();
        assert!(distinct.len() > 45, "{} distinct of 50", distinct.len());
    }
}
