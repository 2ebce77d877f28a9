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
    /// What the onboarding client is told instead of the fraud signals behind a `review`: a person decides.
    UnderReview,
}

impl Reason {
    /// Signals that send a verification to a person. They stay with analysts: told to the client, they would tell
    /// an attacker which attempt was caught as a spoof, or that a face is already enrolled.
    fn is_review_signal(self) -> bool {
        matches!(
            self,
            Self::SpoofSuspected | Self::DuplicateIdentity | Self::BorderlineScore | Self::LivenessInconclusive
        )
    }

    /// The reasons as the onboarding client (API answers, webhooks) sees them: `under_review` alone when any
    /// review signal is among them, else the reasons themselves (retake hints for unusable photos).
    pub fn for_client(reasons: &[Reason]) -> Vec<Reason> {
        if reasons.iter().any(|r| r.is_review_signal()) {
            vec![Reason::UnderReview]
        } else {
            reasons.to_vec()
        }
    }
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

impl Verdict {
    /// What the onboarding client is told. A `review` is honest and opaque: liveness `inconclusive` and the one
    /// reason `under_review`, whatever caught it (spoof, 1:N duplicate, borderline score, inconclusive liveness);
    /// analysts see the full verdict. `spoof` never reaches a client.
    pub fn for_client(&self) -> Verdict {
        let hide_liveness = self.decision == Decision::Review || self.liveness == Liveness::Spoof;
        Verdict {
            decision: self.decision,
            liveness: if hide_liveness { Liveness::Inconclusive } else { self.liveness },
            reasons: Reason::for_client(&self.reasons),
        }
    }
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

    #[test]
    fn clients_never_learn_which_fraud_signal_caught_them() {
        let review =
            |liveness, reasons: &[Reason]| Verdict { decision: Decision::Review, liveness, reasons: reasons.to_vec() };
        let opaque = Verdict {
            decision: Decision::Review,
            liveness: Liveness::Inconclusive,
            reasons: vec![Reason::UnderReview],
        };
        for verdict in [
            review(Liveness::Spoof, &[Reason::SpoofSuspected, Reason::FacesMatch]),
            review(Liveness::Live, &[Reason::FacesMatch, Reason::DuplicateIdentity]),
            review(Liveness::Live, &[Reason::BorderlineScore]),
            review(Liveness::Inconclusive, &[Reason::LivenessInconclusive, Reason::FacesMatch]),
            review(Liveness::Spoof, &[Reason::SelfieBlurry, Reason::SpoofSuspected]),
        ] {
            assert_eq!(verdict.for_client(), opaque, "{verdict:?}");
        }
        let retake =
            Verdict { decision: Decision::Rejected, liveness: Liveness::Live, reasons: vec![Reason::DocumentBlurry] };
        assert_eq!(retake.for_client(), retake, "retake hints stay");
        let matched =
            Verdict { decision: Decision::Match, liveness: Liveness::Live, reasons: vec![Reason::FacesMatch] };
        assert_eq!(matched.for_client(), matched);
    }
}
