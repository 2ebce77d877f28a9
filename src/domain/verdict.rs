//! What the onboarding client learns: a decision, a liveness label and stable reason codes. Nothing else.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Match,
    NoMatch,
    Review,
    Rejected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Liveness {
    Live,
    Spoof,
    Inconclusive,
}

/// Stable machine codes; clients may switch on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    FacesMatch,
    FacesDoNotMatch,
    BorderlineScore,
    SpoofSuspected,
    LivenessInconclusive,
    /// The selfie matches another applicant's face (1:N search).
    DuplicateIdentity,
    SelfieNoFace,
    SelfieMultipleFaces,
    SelfieFaceTooSmall,
    SelfieExtremePose,
    SelfieBlurry,
    DocumentNoFace,
    DocumentFaceTooSmall,
    DocumentExtremePose,
    DocumentBlurry,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Match => "match",
            Self::NoMatch => "no_match",
            Self::Review => "review",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }
}

impl Liveness {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Spoof => "spoof",
            Self::Inconclusive => "inconclusive",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub decision: Decision,
    pub liveness: Liveness,
    pub reasons: Vec<Reason>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_as_snake_case() {
        for d in [Decision::Match, Decision::NoMatch, Decision::Review, Decision::Rejected] {
            assert_eq!(Decision::parse(d.as_str()), Some(d));
        }
        for l in [Liveness::Live, Liveness::Spoof, Liveness::Inconclusive] {
            assert_eq!(Liveness::parse(l.as_str()), Some(l));
        }
        assert_eq!(
            serde_json::to_string(&Reason::SelfieMultipleFaces).ok().as_deref(),
            Some("\"selfie_multiple_faces\"")
        );
        assert_eq!(Decision::parse("maybe"), None);
    }
}
