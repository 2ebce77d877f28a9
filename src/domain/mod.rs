//! Values parsed at the edge. Once constructed they are valid; personal references never print in Debug.

mod meta;
mod reference;
mod verdict;

pub use meta::{BirthDate, MetaError, ReferenceSource, VerificationMeta};
pub use reference::{ApplicantRef, ConsentRef, Purpose, ReferenceError};
pub use verdict::{Decision, Liveness, Reason, Verdict};
