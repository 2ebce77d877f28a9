//! What the onboarding client learns: a decision, a liveness label and stable reason codes. Nothing else.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Match,
    NoMatch,
    Review,
    Rejected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Liveness {
    Live,
    Spoof,
    Inconclusive,
}

/// Stable machine codes; clients may switch on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// The document photo shows no identity document (too little printed text): a portrait is not a document.
    DocumentNotFound,
    DocumentNoFace,
    DocumentFaceTooSmall,
    DocumentExtremePose,
    DocumentBlurry,
    /// What the onboarding client is told instead of the fraud signals behind a `review`: a person decides.
    UnderReview,
    /// The document portrait is the selfie's own picture (the same photo, or a re-encoded, rescaled or re-cropped
    /// copy): no independent document.
    DocumentIsSelfie,
    /// The document portrait matches another applicant's enrolled face (1:N search of the document).
    DocumentReused,
    /// The document's machine-readable zone contradicts the IIN or birth date the client sent.
    DocumentDataMismatch,
    /// The document shows a machine-readable zone whose check digits do not hold (misread, damaged or altered).
    /// Informational: it changes no decision.
    MrzUnreadable,
    /// The selfie or the document portrait matches a face on the blocklist (confirmed fraud).
    BlocklistedFace,
    /// A liveness session ended after its last failed attempt (the rules: three at most): a negative result, and a
    /// case for an analyst.
    LivenessSessionFailed,
    /// The selfie was a still photo judged by the passive model alone, not a liveness session (informational).
    PassiveLivenessOnly,
    /// A reference photo was given and the live face does not match it: the decision (`no_match`) rests on it.
    ReferenceMismatch,
    /// The reference photo shows no face, or more than one person: nothing to compare with (the client's back end
    /// should fetch it again). `rejected`.
    ReferenceNoFace,
    /// The reference photo's face is too small, turned or blurred to compare. `rejected`.
    ReferenceUnusable,
    /// The reference photo and the document portrait are not one person: the document contradicts the state's
    /// record. A case opens; a match goes to review.
    ReferenceDocumentMismatch,
    /// A reference photo was given, the live face matches it, but not the document portrait. A case opens, the
    /// match goes to review.
    DocumentMismatch,
    /// The selfie is the reference photo itself (or a copy of it): no live capture. Review.
    SelfieIsReference,
}

impl Reason {
    /// Signals that send a verification to a person. They stay with analysts: told to the client, they would tell
    /// an attacker which attempt was caught as a spoof, or that a face is already enrolled.
    fn is_review_signal(self) -> bool {
        matches!(
            self,
            Self::SpoofSuspected
                | Self::DuplicateIdentity
                | Self::BorderlineScore
                | Self::LivenessInconclusive
                | Self::DocumentIsSelfie
                | Self::DocumentReused
                | Self::DocumentDataMismatch
                | Self::BlocklistedFace
                | Self::LivenessSessionFailed
                | Self::ReferenceDocumentMismatch
                | Self::DocumentMismatch
                | Self::SelfieIsReference
        )
    }

    /// A photo that cannot be used: the client is asked to retake it (or, for the reference photo, which its back
    /// end fetched, to fetch it again).
    fn is_retake_hint(self) -> bool {
        matches!(
            self,
            Self::SelfieNoFace
                | Self::SelfieMultipleFaces
                | Self::SelfieFaceTooSmall
                | Self::SelfieExtremePose
                | Self::SelfieBlurry
                | Self::DocumentNotFound
                | Self::DocumentNoFace
                | Self::DocumentFaceTooSmall
                | Self::DocumentExtremePose
                | Self::DocumentBlurry
                | Self::ReferenceNoFace
                | Self::ReferenceUnusable
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
    /// What the onboarding client is told; analysts see the full verdict.
    /// - Unusable photos: `rejected` with their retake hints only, whether or not a spoof was also suspected (the
    ///   case still opens for analysts), so a deliberately unusable photo cannot be used to read the liveness model.
    /// - Any other review: `review`, liveness `inconclusive` and the one reason `under_review`, whatever caught it
    ///   (spoof, 1:N duplicate, borderline score, inconclusive liveness).
    /// - `match` / `no_match` as decided (their liveness is `live`), without the fraud signals a `no_match` may also
    ///   carry (a reference photo's mismatch with the document opens a case but leaves a `no_match` as it is).
    ///   `spoof` never reaches a client.
    pub fn for_client(&self) -> Verdict {
        let hints: Vec<Reason> = self.reasons.iter().copied().filter(|r| r.is_retake_hint()).collect();
        if !hints.is_empty() {
            return Verdict { decision: Decision::Rejected, liveness: Liveness::Inconclusive, reasons: hints };
        }
        if self.decision == Decision::Review || self.liveness != Liveness::Live {
            return Verdict {
                decision: self.decision,
                liveness: Liveness::Inconclusive,
                reasons: Reason::for_client(&self.reasons),
            };
        }
        let reasons = self.reasons.iter().copied().filter(|r| !r.is_review_signal()).collect();
        Verdict { decision: self.decision, liveness: self.liveness, reasons }
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
        ] {
            assert_eq!(verdict.for_client(), opaque, "{verdict:?}");
        }
        // Unusable photos read the same whether the selfie passed liveness, was borderline or was caught as a spoof
        // (an attacker sending a face-free document on purpose learns nothing about the liveness model).
        let retake = Verdict {
            decision: Decision::Rejected,
            liveness: Liveness::Inconclusive,
            reasons: vec![Reason::DocumentNoFace],
        };
        for (decision, liveness, reasons) in [
            (Decision::Rejected, Liveness::Live, vec![Reason::DocumentNoFace]),
            (Decision::Rejected, Liveness::Inconclusive, vec![Reason::DocumentNoFace]),
            (Decision::Review, Liveness::Spoof, vec![Reason::DocumentNoFace, Reason::SpoofSuspected]),
            (Decision::Review, Liveness::Live, vec![Reason::DocumentNoFace, Reason::DuplicateIdentity]),
        ] {
            let verdict = Verdict { decision, liveness, reasons };
            assert_eq!(verdict.for_client(), retake, "{verdict:?}");
        }
        let matched =
            Verdict { decision: Decision::Match, liveness: Liveness::Live, reasons: vec![Reason::FacesMatch] };
        assert_eq!(matched.for_client(), matched);
        // A no_match on the reference photo keeps its own reason; the document's contradiction stays with analysts.
        let forged = Verdict {
            decision: Decision::NoMatch,
            liveness: Liveness::Live,
            reasons: vec![Reason::ReferenceMismatch, Reason::ReferenceDocumentMismatch],
        };
        assert_eq!(forged.for_client().reasons, vec![Reason::ReferenceMismatch]);
    }
}
