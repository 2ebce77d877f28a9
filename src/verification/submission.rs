//! What a client submits for one verification, as the front-end read it.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::VerificationMeta;
use crate::pipeline::UploadBytes;

/// Where the live face comes from.
pub enum Selfie {
    /// A still photo, judged by the passive model alone.
    Still(UploadBytes),
    /// A passed liveness session of the same applicant: its best frontal frame is the selfie.
    Session(Uuid),
}

pub struct Submission {
    pub selfie: Selfie,
    pub document: UploadBytes,
    pub meta: VerificationMeta,
    /// Raw meta bytes, for the request digest.
    pub meta_raw: UploadBytes,
    /// The state database's photo of the applicant, when the client sent one (its source is in `meta`).
    pub reference: Option<UploadBytes>,
}

impl Submission {
    /// A one-way digest of the whole request, to tell a retry from a different request under the same
    /// idempotency key.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        let session;
        let selfie: &[u8] = match &self.selfie {
            Selfie::Still(bytes) => bytes,
            Selfie::Session(id) => {
                session = format!("liveness_session\0{id}");
                session.as_bytes()
            }
        };
        for part in [&*self.meta_raw, selfie, &*self.document] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        // Only when present, so digests of requests without a reference stay what they were (stored keys still
        // replay). A part that is never empty cannot be confused with its absence: the length prefix tells.
        if let Some(reference) = &self.reference {
            h.update(b"reference");
            h.update((reference.len() as u64).to_be_bytes());
            h.update(&**reference);
        }
        hex::encode(h.finalize())
    }
}
