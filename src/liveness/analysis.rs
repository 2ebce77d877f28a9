//! Judges one attempt's frames against the session's challenge, on one pipeline (an inference worker).

use image::RgbImage;

use crate::pipeline::{decode, largest, Embedding, Face, InferenceError, Pipeline};

use super::colour;
use super::pose::{self, Pose};
use super::{Challenge, Frame, LivenessSettings};

/// Frames embedded besides the best one, spread over the stream (one identity throughout).
pub const IDENTITY_FRAMES: usize = 5;
/// Side of the grey thumbnail (width; height is 3/4 of it) compared across frames to find a still picture.
const THUMB_W: u32 = 32;
const THUMB_H: u32 = 24;
/// Largest mean change (grey levels, thumbnail against the first frame) anywhere in the stream below which it is a
/// still picture: sensor noise averages out in the thumbnail, a moving or lit face does not.
pub const STILL_MAX_CHANGE: f32 = 1.0;
/// Frames this soon after the flash phase may still carry its light (camera latency): the best frame avoids them.
const AFTERGLOW_MS: u32 = 300;

/// Why an attempt failed; several may hold at once. Stable snake_case codes (`as_str`), recorded for the analyst,
/// never returned to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Fewer than `min_frames` usable frames, or more than `max_frames`, or undecodable frames.
    TooFewFrames,
    /// Capture times not increasing, or spanning more than `max_capture_ms`.
    BadTimestamps,
    /// Some frame shows no face.
    NoFace,
    /// Some frame shows more than one face.
    SeveralFaces,
    /// A frame's face is not the same person as the best frontal frame's.
    IdentityChanged,
    /// Consecutive frames identical, or too little change across the stream: a still picture.
    StaticMedia,
    /// The held head poses are not exactly the challenged actions in order.
    PoseSequence,
    /// The skin's colour does not follow the flashed colours.
    ColourResponse,
    /// The passive model judges the face a spoof.
    PassiveSpoof,
}

impl Failure {
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::TooFewFrames => "too_few_frames",
            Failure::BadTimestamps => "bad_timestamps",
            Failure::NoFace => "no_face",
            Failure::SeveralFaces => "several_faces",
            Failure::IdentityChanged => "identity_changed",
            Failure::StaticMedia => "static_media",
            Failure::PoseSequence => "pose_sequence",
            Failure::ColourResponse => "colour_response",
            Failure::PassiveSpoof => "passive_spoof",
        }
    }

    /// Failures that point at an attack rather than a poor capture (a security event when the session ends).
    pub fn looks_like_attack(self) -> bool {
        matches!(self, Failure::IdentityChanged | Failure::StaticMedia | Failure::BadTimestamps)
    }
}

/// The best frontal frame: the selfie a verification uses.
#[derive(Debug)]
pub struct BestFrame {
    /// Index into the attempt's frames.
    pub index: usize,
    pub embedding: Embedding,
    /// P(real) of the passive model on this frame.
    pub live_score: f32,
}

#[derive(Debug)]
pub struct Analysis {
    /// Empty: the attempt passed.
    pub failures: Vec<Failure>,
    /// Present whenever some frame showed one usable frontal face (also on failure: the analyst's crop).
    pub best: Option<BestFrame>,
}

impl Analysis {
    pub fn passed(&self) -> bool {
        self.failures.is_empty() && self.best.is_some()
    }
}

/// What one pass over a frame learnt; the pixels are dropped at once.
struct Observation {
    faces: usize,
    face: Option<Face>,
    chroma: Option<[f32; 3]>,
    thumb: Vec<f32>,
}

/// Analyses `frames` (in capture order) against `challenge`. Each frame is decoded and detected once; a few are
/// decoded again for the embeddings and the passive model.
pub fn analyse(
    pipeline: &mut Pipeline,
    frames: &[Frame],
    challenge: &Challenge,
    settings: &LivenessSettings,
) -> Result<Analysis, InferenceError> {
    let mut failures = Vec::new();
    if frames.len() < settings.min_frames.max(2) || frames.len() > settings.max_frames {
        return Ok(Analysis { failures: vec![Failure::TooFewFrames], best: None });
    }
    if !timestamps_ok(frames, settings.max_capture_ms) {
        fail(&mut failures, Failure::BadTimestamps);
    }
    if frames.windows(2).any(|w| *w[0].jpeg == *w[1].jpeg) {
        fail(&mut failures, Failure::StaticMedia);
    }

    let limits = pipeline.settings().limits.clone();
    let min_score = pipeline.settings().detection.selfie_min_score;
    let mut seen: Vec<Option<Observation>> = Vec::with_capacity(frames.len());
    for frame in frames {
        let Ok(img) = decode(&frame.jpeg, &limits) else {
            seen.push(None);
            continue;
        };
        let faces = pipeline.detect(&img, min_score)?;
        let face = largest(&faces).copied();
        let chroma = face.as_ref().and_then(|f| colour::inner_chromaticity(&img, f));
        seen.push(Some(Observation { faces: faces.len(), face, chroma, thumb: thumbnail(&img) }));
    }
    let decoded = seen.iter().filter(|o| o.is_some()).count();
    if decoded < frames.len() || decoded < settings.min_frames {
        fail(&mut failures, Failure::TooFewFrames);
    }
    let observed: Vec<&Observation> = seen.iter().flatten().collect();
    if observed.iter().any(|o| o.faces == 0) {
        fail(&mut failures, Failure::NoFace);
    }
    if observed.iter().any(|o| o.faces > 1) {
        fail(&mut failures, Failure::SeveralFaces);
    }
    if still_picture(&observed) {
        fail(&mut failures, Failure::StaticMedia);
    }

    // Pose: yaw and pitch relative to the frontal frames of the flash phase (the applicant looks at the screen
    // then; a camera off to one side, or a face a little turned, is the applicant's own frontal).
    let flash_end = challenge.flash_end_ms();
    let angles: Vec<Option<(f32, f32)>> =
        seen.iter().map(|o| o.as_ref().and_then(|o| o.face.as_ref()).map(|f| (pose::yaw(f), pose::pitch(f)))).collect();
    let in_flash: Vec<(f32, f32)> =
        frames.iter().zip(&angles).filter(|(f, _)| f.at_ms < flash_end).filter_map(|(_, a)| *a).collect();
    let all: Vec<(f32, f32)> = angles.iter().flatten().copied().collect();
    let reference = if in_flash.is_empty() { &all } else { &in_flash };
    let (yaw0, pitch0) = pose::baseline(reference, settings.turn_min).unwrap_or((0.0, 0.0));
    let relative: Vec<Option<(f32, f32)>> = angles.iter().map(|a| a.map(|(y, p)| (y - yaw0, p - pitch0))).collect();
    let poses: Vec<Option<Pose>> =
        relative.iter().map(|a| a.map(|(y, p)| pose::classify(y, p, settings.turn_min, settings.tilt_min))).collect();
    let held = pose::held_sequence(&poses, settings.hold_frames);
    tracing::debug!(held = ?held, "liveness: held poses");
    if held != challenge.actions {
        fail(&mut failures, Failure::PoseSequence);
    }

    // Colour: the face's chromaticity against the schedule.
    let samples: Vec<(u32, [f32; 3])> =
        frames.iter().zip(&seen).filter_map(|(f, o)| o.as_ref().and_then(|o| o.chroma).map(|c| (f.at_ms, c))).collect();
    let fit = colour::fit(&samples, challenge, settings.colour_max_lag_ms);
    tracing::debug!(
        correlation = fit.correlation,
        response = fit.response,
        lag_ms = fit.lag_ms,
        frames = fit.frames,
        "liveness: colour fit"
    );
    if !fit.passes(settings.colour_min_correlation, settings.colour_min_response) {
        fail(&mut failures, Failure::ColourResponse);
    }

    // The best frontal frame, the frames that check the identity and those the passive model judges.
    let costs: Vec<Option<f32>> = frontal_costs(frames, &seen, &relative, &poses, flash_end, settings);
    let Some(best_index) = argmin(&costs) else {
        fail(&mut failures, Failure::NoFace);
        return Ok(Analysis { failures, best: None });
    };
    let identity = spread(&costs, best_index, IDENTITY_FRAMES);
    let passive = passive_picks(&costs, best_index, settings.passive_frames);

    let mut best_embedding = None;
    let mut others = Vec::with_capacity(identity.len());
    let mut live_scores = Vec::with_capacity(passive.len());
    let mut best_live = 0.0;
    let mut wanted: Vec<usize> = identity.iter().chain(&passive).copied().chain([best_index]).collect();
    wanted.sort_unstable();
    wanted.dedup();
    for index in wanted {
        let (Some(frame), Some(Some(face))) =
            (frames.get(index), seen.get(index).map(|o| o.as_ref().and_then(|o| o.face)))
        else {
            continue;
        };
        let Ok(img) = decode(&frame.jpeg, &limits) else {
            continue;
        };
        if index == best_index || identity.contains(&index) {
            let embedding = pipeline.embed(&img, &face)?;
            if index == best_index {
                best_embedding = Some(embedding);
            } else {
                others.push(embedding);
            }
        }
        if index == best_index || passive.contains(&index) {
            let live = pipeline.liveness(&img, &face)?[1];
            if index == best_index {
                best_live = live;
            }
            if passive.contains(&index) {
                live_scores.push(live);
            }
        }
    }
    let Some(embedding) = best_embedding else {
        return Ok(Analysis { failures, best: None });
    };
    let lowest = others.iter().map(|e| e.cosine(&embedding)).fold(1.0f32, f32::min);
    tracing::debug!(lowest_similarity = lowest, "liveness: identity");
    if lowest < settings.same_person_min {
        fail(&mut failures, Failure::IdentityChanged);
    }
    let median_live = pose::median(&mut live_scores).unwrap_or(0.0);
    tracing::debug!(median_live, "liveness: passive");
    if median_live < settings.passive_min {
        fail(&mut failures, Failure::PassiveSpoof);
    }
    Ok(Analysis { failures, best: Some(BestFrame { index: best_index, embedding, live_score: best_live }) })
}

/// Records a failure once.
fn fail(failures: &mut Vec<Failure>, failure: Failure) {
    if !failures.contains(&failure) {
        failures.push(failure);
    }
}

/// Strictly increasing, spanning at most `max_capture_ms`.
pub fn timestamps_ok(frames: &[Frame], max_capture_ms: u32) -> bool {
    let increasing = frames.windows(2).all(|w| w[1].at_ms > w[0].at_ms);
    let span = match (frames.first(), frames.last()) {
        (Some(a), Some(b)) => b.at_ms.saturating_sub(a.at_ms),
        _ => 0,
    };
    increasing && span <= max_capture_ms
}

/// A 32x24 grey thumbnail (area averages).
fn thumbnail(img: &RgbImage) -> Vec<f32> {
    let (w, h) = (img.width().max(1), img.height().max(1));
    let mut sums = vec![0f32; (THUMB_W * THUMB_H) as usize];
    let mut counts = vec![0u32; sums.len()];
    for y in (0..h).step_by(2) {
        for x in (0..w).step_by(2) {
            let p = img.get_pixel(x, y);
            let cell = ((y * THUMB_H / h) * THUMB_W + x * THUMB_W / w) as usize;
            if let (Some(s), Some(c)) = (sums.get_mut(cell), counts.get_mut(cell)) {
                *s += 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]);
                *c += 1;
            }
        }
    }
    sums.iter().zip(&counts).map(|(s, c)| if *c == 0 { 0.0 } else { s / *c as f32 }).collect()
}

/// The largest mean thumbnail change from the first frame stays below `STILL_MAX_CHANGE`.
fn still_picture(observed: &[&Observation]) -> bool {
    let Some(first) = observed.first() else {
        return false;
    };
    let change = |o: &Observation| {
        let n = o.thumb.len().max(1) as f32;
        o.thumb.iter().zip(&first.thumb).map(|(a, b)| (a - b).abs()).sum::<f32>() / n
    };
    observed.iter().map(|o| change(o)).fold(0.0f32, f32::max) < STILL_MAX_CHANGE
}

/// How far each frame is from the best frontal selfie (lower is better): pose away from frontal, the flash's light
/// still on it, a smaller face. None for frames without exactly one face or not frontal.
fn frontal_costs(
    frames: &[Frame],
    seen: &[Option<Observation>],
    relative: &[Option<(f32, f32)>],
    poses: &[Option<Pose>],
    flash_end: u32,
    settings: &LivenessSettings,
) -> Vec<Option<f32>> {
    let max_area = seen.iter().flatten().filter_map(|o| o.face.map(|f| f.area())).fold(1.0f32, f32::max);
    frames
        .iter()
        .zip(seen)
        .zip(relative.iter().zip(poses))
        .map(|((frame, o), (angles, pose))| {
            let o = o.as_ref().filter(|o| o.faces == 1)?;
            let face = o.face?;
            let (yaw, pitch) = (*angles)?;
            if *pose != Some(Pose::Frontal) {
                return None;
            }
            let lit = if frame.at_ms < flash_end.saturating_add(AFTERGLOW_MS) { 1.0 } else { 0.0 };
            Some(yaw.abs() / settings.turn_min + pitch.abs() / settings.tilt_min + lit - 0.2 * face.area() / max_area)
        })
        .collect()
}

fn argmin(costs: &[Option<f32>]) -> Option<usize> {
    costs.iter().enumerate().filter_map(|(i, c)| c.map(|c| (i, c))).min_by(|a, b| a.1.total_cmp(&b.1)).map(|(i, _)| i)
}

/// `count` frontal frames (those with a cost), spread evenly from the first to the last, other than `best`: turned faces
/// embed less reliably, and the applicant returns to frontal between movements, so the spread still covers the stream.
fn spread(costs: &[Option<f32>], best: usize, count: usize) -> Vec<usize> {
    let with_face: Vec<usize> =
        costs.iter().enumerate().filter(|(i, c)| *i != best && c.is_some()).map(|(i, _)| i).collect();
    if with_face.is_empty() || count == 0 {
        return Vec::new();
    }
    let mut picks: Vec<usize> =
        (0..count).map(|k| with_face[k * (with_face.len() - 1) / count.saturating_sub(1).max(1)]).collect();
    picks.dedup();
    picks
}

/// `count` frontal frames for the passive model: the best, then the next lowest cost ones at least two frames apart.
fn passive_picks(costs: &[Option<f32>], best: usize, count: usize) -> Vec<usize> {
    let mut ranked: Vec<(usize, f32)> = costs.iter().enumerate().filter_map(|(i, c)| c.map(|c| (i, c))).collect();
    ranked.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut picks = vec![best];
    for (i, _) in ranked {
        if picks.len() >= count {
            break;
        }
        if picks.iter().all(|p| p.abs_diff(i) >= 2) {
            picks.push(i);
        }
    }
    picks
}
