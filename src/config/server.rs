//! The `[server]` section: where the service listens and how it bounds requests and uploads.

use serde::Deserialize;

use super::Invalid;

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub max_request_bytes: usize,
    pub retry_after_secs: u64,
    /// Verification bodies being read at once (before admission); beyond it: 503 overloaded. 0: four per worker.
    pub max_uploads_in_flight: usize,
    /// A verification body must have arrived within this many seconds (else 408 upload_too_slow).
    pub upload_timeout_secs: u64,
    /// After `upload_grace_secs`, the average upload rate must stay at or above this (0: no rate floor).
    pub upload_min_bytes_per_sec: u64,
    pub upload_grace_secs: u64,
    /// On SIGTERM or SIGINT: stop accepting, then wait at most this long for requests in flight before closing.
    pub shutdown_timeout_secs: u64,
}

impl ServerSettings {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        if self.max_uploads_in_flight == 0 {
            return Err(Invalid::new("max_uploads_in_flight", "must be positive"));
        }
        if self.upload_timeout_secs == 0 {
            return Err(Invalid::new("upload_timeout_secs", "must be positive"));
        }
        if self.upload_grace_secs > self.upload_timeout_secs {
            return Err(Invalid::new("upload_grace_secs", "must not exceed server.upload_timeout_secs"));
        }
        Ok(())
    }
}
