//! Optional webhook on case opened / decided / recapture requested and on security events. Case events are written to an outbox in the
//! same transaction as the case change, security events are queued from their table; a background worker delivers
//! them in order: HMAC-SHA256 signed, retried with exponential backoff, carrying ids and codes only (no applicant
//! reference, no scores, no images).

mod alerts;
mod outbox;
mod worker;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use outbox::{enqueue, enqueue_recapture};
pub use worker::{sign, spawn, Delivery};

use crate::domain::Reason;

#[derive(Debug, Clone, Deserialize)]
pub struct WebhookSettings {
    /// Where to POST events; unset: no webhook, nothing is queued.
    pub url: Option<String>,
    /// HMAC-SHA256 key shared with the receiver (or `secret_file`).
    pub secret: Option<crate::config::Secret>,
    pub secret_file: Option<std::path::PathBuf>,
    pub max_attempts: i64,
    pub initial_backoff_ms: u64,
    pub poll_interval_ms: u64,
    pub timeout_secs: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    #[serde(rename = "case.opened")]
    CaseOpened,
    #[serde(rename = "case.decided")]
    CaseDecided,
    #[serde(rename = "case.recapture_requested")]
    CaseRecaptureRequested,
}

impl EventKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            EventKind::CaseOpened => "case.opened",
            EventKind::CaseDecided => "case.decided",
            EventKind::CaseRecaptureRequested => "case.recapture_requested",
        }
    }
}

/// What a receiver learns: enough to fetch the case through the API, nothing personal.
#[derive(Debug, Clone, Serialize)]
pub struct CaseEvent {
    pub event: EventKind,
    pub case_id: Uuid,
    pub verification_id: Uuid,
    pub status: &'static str,
    pub reasons: Vec<Reason>,
    pub outcome: Option<String>,
}

/// An analyst asks the onboarding flow for a new capture of the case's applicant: the two ids only.
#[derive(Debug, Clone, Serialize)]
pub struct RecaptureEvent {
    pub event: EventKind,
    pub case_id: Uuid,
    pub verification_id: Uuid,
}

impl RecaptureEvent {
    pub fn new(case_id: Uuid, verification_id: Uuid) -> Self {
        Self { event: EventKind::CaseRecaptureRequested, case_id, verification_id }
    }
}
