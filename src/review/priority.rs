//! How urgently a case needs a person: fraud signals before everything else (a borderline score, a blurred photo).

use crate::domain::Reason;

/// The reasons that say someone may be attacking the lender, not merely a poor capture.
const FRAUD_SIGNALS: [Reason; 8] = [
    Reason::BlocklistedFace,
    Reason::DuplicateIdentity,
    Reason::DocumentReused,
    Reason::SpoofSuspected,
    Reason::LivenessSessionFailed,
    Reason::ReferenceDocumentMismatch,
    Reason::DocumentDataMismatch,
    Reason::DocumentIsSelfie,
];

/// Ordered: `High` sorts after `Normal`, so a descending sort puts it first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    Normal,
    High,
}

impl Priority {
    pub fn of(reasons: &[Reason]) -> Self {
        if reasons.iter().any(|r| FRAUD_SIGNALS.contains(r)) {
            Priority::High
        } else {
            Priority::Normal
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Normal => "normal",
            Priority::High => "high",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fraud_signals_are_high_priority_and_poor_captures_are_not() {
        assert_eq!(Priority::of(&[Reason::FacesMatch, Reason::DuplicateIdentity]), Priority::High);
        assert_eq!(Priority::of(&[Reason::BlocklistedFace]), Priority::High);
        assert_eq!(Priority::of(&[Reason::BorderlineScore, Reason::LivenessInconclusive]), Priority::Normal);
        assert_eq!(Priority::of(&[]), Priority::Normal);
        assert!(Priority::High > Priority::Normal);
    }
}
