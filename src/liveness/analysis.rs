//! Judges one attempt's frames against the session's challenge, on one pipeline (an inference worker).

use crate::pipeline::{Embedding, InferenceError, Pipeline};

use super::{Challenge, Frame, LivenessSettings};

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

/// Analyses `frames` (in capture order) against `challenge`.
pub fn analyse(
    pipeline: &mut Pipeline,
    frames: &[Frame],
    challenge: &Challenge,
    settings: &LivenessSettings,
) -> Result<Analysis, InferenceError> {
    let _ = (pipeline, frames, challenge, settings);
    todo!("issue 12: frame analysis")
}
