//! Liveness sessions: the server draws random challenges (head movements and a screen-colour schedule), the
//! applicant's device captures a stream of frames while performing them, and the server analyses the frames: one
//! face and one identity throughout, the head-pose trajectory against the drawn actions, the skin's colour against
//! the flashed colours, the passive model on several frames, frames never seen before, times inside the window.
//!
//! `challenge` draws, `analysis` judges one attempt's frames (pure, on one pipeline), `sessions` is the use case
//! (create, submit an attempt, three attempts at most, the case and security event on failure, the frame a
//! verification uses as its selfie).

pub mod analysis;
pub mod challenge;
pub mod colour;
mod error;
pub mod frames;
pub mod pose;
pub mod sessions;
pub mod settings;
pub mod synth;

pub use analysis::{analyse, Analysis, BestFrame, Failure};
pub use challenge::{Action, Challenge, Flash};
pub use error::LivenessError;
pub use frames::Frame;
pub use sessions::{AttemptResult, Attempted, Created, LivenessSessions, Opened};
pub use settings::LivenessSettings;

#[cfg(test)]
mod model_tests;
