//! The data subject's side of the privacy policy, whatever front-end carries it: consent recorded, read and
//! withdrawn (withdrawal ends biometric processing and crypto-shreds the subject's templates), and erasure with
//! its proof that nothing remains. The subject is stored, and audited, only as its keyed pseudonym.

mod consents;
mod erasure;
mod error;

use std::sync::Arc;

use crate::gallery::Gallery;
use crate::store::Store;

pub use consents::{ConsentInput, Withdrawal};
pub use erasure::subject;
pub use error::PrivacyError;

/// What consent and erasure need, shared by every request.
pub struct Privacy {
    pub(crate) store: Store,
    pub(crate) gallery: Arc<Gallery>,
    /// The blocklist's faces: a subject's entries leave memory with its templates.
    pub(crate) blocklist: Arc<Gallery>,
}
