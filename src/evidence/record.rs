//! The evidence record: what the service decided about one verification (and, for a case, what the analysts
//! decided), with what it decided with. Canonical bytes: compact `serde_json` of these structs, fields in
//! declaration order (fixed here, not sorted), no whitespace; the signature covers record.json exactly as written,
//! so a verifier never re-serialises. No image bytes, no embeddings, no applicant reference: the subject appears as
//! the keyed pseudonym the audit log uses, and the lender links the record to its applicant by verification id.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::decision::Thresholds;
use crate::domain::{Decision, Liveness, Reason};
use crate::pipeline::ModelHash;

/// The record format, also the first line of what is signed.
pub const RECORD_FORMAT: &str = "faceverify-evidence/v1";

#[derive(Debug, Serialize)]
pub struct EvidenceRecord<'a> {
    pub format: &'static str,
    /// `verification` or `case`.
    pub kind: &'static str,
    pub exported_at: String,
    /// The staff user who exported it.
    pub exported_by: &'a str,
    pub service: Service,
    pub verification: VerificationFacts,
    pub thresholds: &'a Thresholds,
    pub models: &'a [ModelHash],
    /// The liveness session behind the verification (the one whose frame was the selfie, or the one whose last
    /// failed attempt this negative result records); `null` for a still selfie.
    pub liveness_session: Option<SessionFacts>,
    pub case: Option<CaseFacts>,
}

#[derive(Debug, Serialize)]
pub struct Service {
    pub name: &'static str,
    pub version: &'static str,
}

impl Service {
    pub fn this() -> Self {
        Self { name: env!("CARGO_PKG_NAME"), version: env!("CARGO_PKG_VERSION") }
    }
}

#[derive(Debug, Serialize)]
pub struct VerificationFacts {
    pub id: Uuid,
    /// The onboarding service account that asked (`null` for rows from before clients were recorded).
    pub client: Option<String>,
    /// The subject's keyed pseudonym (HMAC-SHA256 under the service's pseudonym key), as in the audit log.
    pub subject_pseudonym: String,
    pub purpose: String,
    pub decision: Decision,
    pub liveness: Liveness,
    /// Every reason (the staff view, fraud signals included).
    pub reasons: Vec<Reason>,
    pub similarity: Option<f64>,
    pub live_score: Option<f64>,
    /// The 1:N duplicate bar the faces were searched at, which followed the gallery's size then (`thresholds` are
    /// those in force at export); null for verifications from before it was recorded or with nothing searched.
    pub duplicate_bar: Option<f64>,
    /// Where the state-database reference photo came from, as the client named it (`null`: none was given); the
    /// photo itself was never stored.
    pub reference_source: Option<String>,
    /// Live vs that reference photo: the cosine the decision rested on when one was given.
    pub reference_similarity: Option<f64>,
    /// SHA-256 over the request's inputs (both photos and the metadata), as stored when it was verified.
    pub request_digest: String,
    pub created_at: String,
}

#[derive(Debug, Serialize)]
pub struct CaseFacts {
    pub id: Uuid,
    pub status: &'static str,
    /// `cleared` or `confirmed_fraud` (while pending sign-off: the one proposed).
    pub outcome: Option<String>,
    pub reasons: Vec<Reason>,
    pub duplicate_verification_id: Option<Uuid>,
    pub duplicate_score: Option<f64>,
    pub assigned_to: Option<String>,
    pub proposed_by: Option<String>,
    pub signed_off_by: Option<String>,
    /// The resolution note of the decision.
    pub comment: Option<String>,
    pub created_at: String,
    pub closed_at: Option<String>,
    /// The crops in the package, each with the SHA-256 of its PNG.
    pub crops: Vec<FileHash>,
}

/// A file of the package and the hex SHA-256 of its bytes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileHash {
    pub path: String,
    pub sha256: String,
}

/// A liveness session's challenge log: what was asked, how many attempts it took, why each failed attempt failed.
#[derive(Debug, Serialize)]
pub struct SessionFacts {
    pub id: Uuid,
    pub challenges: Vec<crate::liveness::Action>,
    pub flashes: Vec<crate::liveness::Flash>,
    pub attempts_used: u32,
    /// Per failed attempt, its failure codes (e.g. `pose_sequence`, `colour_response`, `frame_replayed`).
    pub failed_attempts: Vec<Vec<String>>,
    /// `used` (a verification took its frame) or `failed`.
    pub state: &'static str,
    pub created_at: String,
    pub finished_at: Option<String>,
}
