//! Oversight of the service itself, for auditors and the DPO, whatever front-end asks: the audit log exported and
//! verified, signed checkpoints of it, the security events and what a breach notification needs (policy §11).
//! Each of these reads is itself audited; a broken chain raises a security event (and gets no checkpoint).

mod audit_log;
mod error;
mod incidents;

use crate::store::Store;

pub use error::OversightError;
pub use incidents::{one_business_day_after, Incident};

/// What oversight needs, shared by every request.
pub struct Oversight {
    pub(crate) store: Store,
    /// Crop views / audit exports by one user within `burst_window_secs` above which an access_burst is raised.
    pub(crate) burst_threshold: i64,
    pub(crate) burst_window_secs: i64,
}
