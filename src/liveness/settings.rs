//! `[liveness]` settings: what a session asks for and what its analysis accepts.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct LivenessSettings {
    /// Verifications must carry a passed session (`liveness_session_id`); a still selfie is refused.
    pub require_session: bool,
    /// Seconds a session may be used after it is created.
    pub session_ttl_secs: u64,
    /// Attempts per session; the last failure ends it as `failed` (the rules: three at most).
    pub max_attempts: u32,
    /// Head movements drawn per session (at least three).
    pub actions: usize,
    /// Whether "look up" is among the movements drawn (see `Action::WITHOUT_LOOK_UP`).
    pub look_up: bool,
    /// Screen colours flashed per session, and how long each is shown (a random duration in the range).
    pub flashes: usize,
    pub flash_min_ms: u32,
    pub flash_max_ms: u32,
    /// Frames one attempt may carry, and bytes per frame.
    pub max_frames: usize,
    pub min_frames: usize,
    pub max_frame_bytes: usize,
    /// Longest capture accepted (milliseconds from the first frame to the last).
    pub max_capture_ms: u32,
    /// |nose offset from the eye midpoint| / eye distance beyond which the head counts as turned (yaw).
    pub turn_min: f32,
    /// Change of (nose - eye line) / (mouth line - eye line) from the frontal frames beyond which the head counts as
    /// looking up or down (pitch).
    pub tilt_min: f32,
    /// Consecutive frames a pose must be held to count.
    pub hold_frames: usize,
    /// Lowest cosine similarity of each analysed frame's face to the best frontal frame's (one identity).
    pub same_person_min: f32,
    /// Lowest correlation between the skin's colour change and the flashed colours, and the smallest change (in
    /// chromaticity) that counts as a response at all.
    pub colour_min_correlation: f32,
    pub colour_min_response: f32,
    /// The longest delay searched between the schedule and the frames (screen and camera latency).
    pub colour_max_lag_ms: u32,
    /// Frames the passive model judges, and the median P(real) they must reach.
    pub passive_frames: usize,
    pub passive_min: f32,
}

impl LivenessSettings {
    pub fn validate(&self) -> Result<(), crate::config::Invalid> {
        use crate::config::Invalid;
        if self.actions < 3 {
            return Err(Invalid::new("actions", "the rules ask for at least three random actions"));
        }
        if self.max_attempts == 0 || self.max_attempts > 3 {
            return Err(Invalid::new("max_attempts", "must be 1 to 3 (the rules: three attempts at most)"));
        }
        if self.flashes < 3 || self.flash_min_ms < 100 || self.flash_max_ms < self.flash_min_ms {
            return Err(Invalid::new("flashes", "need at least three flashes of at least 100 ms, min <= max"));
        }
        if self.session_ttl_secs == 0 || self.min_frames == 0 || self.max_frames < self.min_frames {
            return Err(Invalid::new("session_ttl_secs", "ttl and frame counts must be positive, min <= max"));
        }
        if self.hold_frames == 0 || self.passive_frames == 0 {
            return Err(Invalid::new("hold_frames", "must be positive"));
        }
        Ok(())
    }
}
