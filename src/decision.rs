//! Evidence -> verdict, by calibrated thresholds. Borderline and fraud-suspect results go to human review
//! (policy §9), never to an automatic decline.

use serde::Deserialize;

use crate::document::iin::Iin;
use crate::document::mrz::MrzReading;
use crate::domain::BirthDate;
use crate::domain::{Decision, Liveness, Reason, Verdict};
use crate::gallery::ImpostorTail;
use crate::pipeline::{Evidence, Examined, QualityIssue, ReferenceEvidence, Role};

/// `same_picture_min` by `faceverify eval-same-picture`: see docs/accuracy.md for the fit and the held-out figures.
const SAME_PICTURE_MIN: f32 = 0.89;

/// `impostor_tail` by `faceverify calibrate-1n ../shared/data/faces/pairs.csv` (docs/accuracy.md).
const IMPOSTOR_TAIL: ImpostorTail = ImpostorTail { from: 0.2424, fraction: 0.05, scale: 0.0398, shape: -0.1296 };

/// Calibrated on shared/data/faces/pairs.csv with `faceverify eval` (see README, docs/accuracy.md).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Thresholds {
    /// Cosine at or above which the faces match.
    pub match_min: f32,
    /// Cosine below which the faces do not match; between the two is `review`.
    pub review_min: f32,
    /// P(real) at or above which the selfie is live.
    pub live_min: f32,
    /// P(real) below which the selfie is a presentation attack; between the two is inconclusive.
    pub spoof_max: f32,
    /// The lowest bar at which the selfie counts as another applicant's face in the 1:N search; the bar rises above
    /// it as the gallery grows (`duplicate_bar`).
    pub duplicate_min: f32,
    /// The chance per search that an honest applicant is flagged as another's face (FPIR) that the 1:N bar keeps
    /// to, whatever the gallery's size.
    pub duplicate_target_fpir: f64,
    /// The impostor tail the bar is read from, fitted by `faceverify calibrate-1n` (docs/accuracy.md).
    pub impostor_tail: ImpostorTail,
    /// Selfie-document cosine at or above which the document portrait is the selfie's own picture (the same photo
    /// or a re-encoded, rescaled or re-cropped copy gives nearly the same template; two photos of one person taken
    /// apart do not). Fitted by `faceverify eval-same-picture` (docs/accuracy.md).
    pub same_picture_min: f32,
    /// Live vs reference photo (state database): cosine at or above which the faces match. Two photos of one person
    /// taken apart, as pairs.csv holds, so `match_min`'s calibration applies as it stands (docs/accuracy.md).
    pub reference_match_min: f32,
    /// Live vs reference: cosine below which the faces do not match (`reference_mismatch`); between is `review`.
    pub reference_review_min: f32,
    /// Reference vs document portrait: cosine below which they are not one person (`reference_document_mismatch`).
    pub reference_document_min: f32,
    /// The recognition model (the sha256 of its file, models/manifest.toml) every cosine threshold here was fitted
    /// on: a cosine of one model says nothing at another's bar, so the service refuses to start with another model
    /// until they are refitted (`fitted_for`). Absent: SFace 2021dec, the shipped model.
    #[serde(default = "sface_sha256")]
    pub recognition_sha256: String,
}

fn sface_sha256() -> String {
    crate::pipeline::recognition::SFACE_2021DEC_SHA256.to_owned()
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            match_min: 0.45,
            review_min: 0.36,
            live_min: 0.6,
            spoof_max: 0.4,
            duplicate_min: 0.48,
            duplicate_target_fpir: 1e-3,
            impostor_tail: IMPOSTOR_TAIL,
            same_picture_min: SAME_PICTURE_MIN,
            reference_match_min: 0.45,
            reference_review_min: 0.36,
            reference_document_min: 0.36,
            recognition_sha256: sface_sha256(),
        }
    }
}

impl Thresholds {
    /// The 1:N bar for a search against `gallery` templates: the lowest score at which the modelled FPIR is at most
    /// `duplicate_target_fpir`, never below `duplicate_min`; 1 when no cosine score is that rare (then only the
    /// same picture is flagged).
    pub fn duplicate_bar(&self, gallery: usize) -> f32 {
        let bar = self.impostor_tail.bar_for(self.duplicate_target_fpir, gallery);
        (bar.min(1.0) as f32).max(self.duplicate_min)
    }

    /// Whether these thresholds were fitted on the templates of `space`'s model.
    pub fn fitted_for(&self, space: &crate::pipeline::TemplateSpace) -> Result<(), String> {
        if self.recognition_sha256.eq_ignore_ascii_case(&space.model_sha256) {
            return Ok(());
        }
        Err(format!(
            "thresholds were fitted on recognition model {} but models/manifest.toml names {}: refit them on the \
             lender's pairs (`faceverify calibrate`, `faceverify calibrate-1n`), then set thresholds.match_min and \
             the other cosine thresholds, liveness.same_person_min and thresholds.recognition_sha256 \
             (docs/accuracy.md, swapping the recognition model)",
            self.recognition_sha256, space.model_sha256
        ))
    }

    pub fn validate(&self) -> Result<(), String> {
        let unit = |v: f32| (0.0..=1.0).contains(&v);
        if !(unit(self.match_min) && unit(self.review_min) && self.review_min <= self.match_min) {
            return Err("thresholds: need 0 <= review_min <= match_min <= 1".into());
        }
        if !(unit(self.duplicate_min) && self.duplicate_min >= self.match_min) {
            return Err("thresholds: need match_min <= duplicate_min <= 1 (1:N needs the stricter bar)".into());
        }
        if !(self.duplicate_target_fpir > 0.0 && self.duplicate_target_fpir < 1.0) {
            return Err("thresholds: need 0 < duplicate_target_fpir < 1".into());
        }
        self.impostor_tail.validate()?;
        if !(unit(self.live_min) && unit(self.spoof_max) && self.spoof_max <= self.live_min) {
            return Err("thresholds: need 0 <= spoof_max <= live_min <= 1".into());
        }
        if !(unit(self.same_picture_min) && self.same_picture_min >= self.match_min) {
            return Err("thresholds: need match_min <= same_picture_min <= 1".into());
        }
        let reference_band = unit(self.reference_match_min)
            && unit(self.reference_review_min)
            && self.reference_review_min <= self.reference_match_min
            && self.reference_match_min <= self.same_picture_min;
        if !reference_band {
            return Err("thresholds: need 0 <= reference_review_min <= reference_match_min <= same_picture_min".into());
        }
        if !unit(self.reference_document_min) {
            return Err("thresholds: need 0 <= reference_document_min <= 1".into());
        }
        Ok(())
    }
}

/// What the liveness label rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LivenessBasis {
    /// The passive model on the one still selfie.
    StillPhoto,
    /// A passed liveness session (the challenges, the screen's light, the passive model on several frames): `live`.
    Session,
}

/// The verdict on a still selfie and a document.
pub fn decide(evidence: &Evidence, t: &Thresholds) -> Verdict {
    decide_with_reference(evidence, None, t, LivenessBasis::StillPhoto)
}

/// A still selfie's liveness rests on the passive model alone: said so, when liveness was judged at all.
pub fn flag_passive_only(verdict: &mut Verdict, evidence: &Evidence) {
    if evidence.selfie.live_score.is_some() {
        verdict.reasons.push(Reason::PassiveLivenessOnly);
    }
}

/// As `decide`; with a reference photo (the state database's), the decision rests on live vs reference
/// (`reference_match_min` / `reference_review_min`, `reference_mismatch` below), and the document's two comparisons
/// are fraud signals: a document portrait that is not the live face (below `review_min`: `document_mismatch`) or not
/// the reference's person (below `reference_document_min`: `reference_document_mismatch`) sends a match to review.
/// A `no_match` stays one (the state's photo is not the applicant, whatever the document shows); a reference-document
/// contradiction opens a case either way (`needs_case`). An unusable reference is `rejected` with its own reason,
/// as an unusable photo is; the selfie being the reference picture itself is `selfie_is_reference`, review.
pub fn decide_with_reference(
    evidence: &Evidence,
    reference: Option<&ReferenceEvidence>,
    t: &Thresholds,
    basis: LivenessBasis,
) -> Verdict {
    let mut reasons = quality_reasons(&evidence.selfie, Role::Selfie);
    reasons.extend(quality_reasons(&evidence.document, Role::Document));
    if let Some(r) = reference {
        reasons.extend(quality_reasons(&r.examined, Role::Reference));
    }
    // The comparison the decision rests on, with its bands and the reason of a mismatch.
    let (primary, match_min, review_min, mismatch) = match reference {
        Some(r) => (r.live, t.reference_match_min, t.reference_review_min, Reason::ReferenceMismatch),
        None => (evidence.similarity, t.match_min, t.review_min, Reason::FacesDoNotMatch),
    };
    let liveness = match (basis, evidence.selfie.live_score) {
        (LivenessBasis::Session, _) => Liveness::Live,
        (LivenessBasis::StillPhoto, Some(p)) if p >= t.live_min => Liveness::Live,
        (LivenessBasis::StillPhoto, Some(p)) if p < t.spoof_max => Liveness::Spoof,
        _ => Liveness::Inconclusive,
    };
    let similarity = match primary.zip(evidence.similarity) {
        Some((s, _)) if reasons.is_empty() => s,
        // A suspected attack goes to a human even when the photos are also unusable: telling an attacker
        // to "retake the photo" would only help them iterate.
        _ if liveness == Liveness::Spoof => {
            reasons.push(Reason::SpoofSuspected);
            return Verdict { decision: Decision::Review, liveness, reasons };
        }
        _ => return Verdict { decision: Decision::Rejected, liveness, reasons },
    };
    let (mut decision, score_reason) = if similarity >= match_min {
        (Decision::Match, Reason::FacesMatch)
    } else if similarity < review_min {
        (Decision::NoMatch, mismatch)
    } else {
        (Decision::Review, Reason::BorderlineScore)
    };
    match liveness {
        Liveness::Spoof => {
            decision = Decision::Review;
            reasons.push(Reason::SpoofSuspected);
        }
        Liveness::Inconclusive => {
            decision = Decision::Review;
            reasons.push(Reason::LivenessInconclusive);
        }
        Liveness::Live => {}
    }
    // The same picture gives nearly the same template: then there is no independent document.
    let selfie_document = evidence.similarity.unwrap_or(similarity);
    if selfie_document >= t.same_picture_min {
        decision = Decision::Review;
        reasons.push(Reason::DocumentIsSelfie);
    }
    // Nor a live capture, when the selfie is the state's own picture.
    if reference.is_some() && similarity >= t.same_picture_min {
        decision = Decision::Review;
        reasons.push(Reason::SelfieIsReference);
    }
    reasons.push(score_reason);
    if let Some(r) = reference {
        let mut flags = Vec::new();
        if selfie_document < t.review_min {
            flags.push(Reason::DocumentMismatch);
        }
        if r.document.is_some_and(|s| s < t.reference_document_min) {
            flags.push(Reason::ReferenceDocumentMismatch);
        }
        if !flags.is_empty() && decision == Decision::Match {
            decision = Decision::Review;
        }
        reasons.extend(flags);
    }
    Verdict { decision, liveness, reasons }
}

/// The selfie matched another applicant's face: a human decides (never an automatic decline on a 1:N hit).
pub fn flag_duplicate(verdict: &mut Verdict) {
    verdict.decision = Decision::Review;
    verdict.reasons.push(Reason::DuplicateIdentity);
}

/// The selfie or the document portrait matched a face on the blocklist (confirmed fraud): a human decides, as for
/// a duplicate.
pub fn flag_blocklisted(verdict: &mut Verdict) {
    verdict.decision = Decision::Review;
    verdict.reasons.push(Reason::BlocklistedFace);
}

/// The document portrait matched another applicant's enrolled face: the classic reuse of one ID photo. A human
/// decides.
pub fn flag_document_reuse(verdict: &mut Verdict) {
    verdict.decision = Decision::Review;
    verdict.reasons.push(Reason::DocumentReused);
}

/// Compares the document's machine-readable zone with the IIN and birth date the client sent (either optional):
/// a contradiction is `document_data_mismatch`, `review` (a person decides, as for every fraud signal). A zone that
/// does not read is noted (`mrz_unreadable`) and changes nothing; a photo without a zone (the front of the Kazakh
/// ID card) has nothing to compare.
pub fn flag_document_data(
    verdict: &mut Verdict,
    mrz: Option<&MrzReading>,
    iin: Option<&Iin>,
    birth_date: Option<&BirthDate>,
) {
    match mrz {
        Some(MrzReading::Read(data)) => {
            let birth = data.birth_date.as_str();
            let contradicted = birth_date.is_some_and(|b| b.yymmdd() != birth)
                || iin.is_some_and(|i| i.birth_date() != birth)
                || iin.zip(data.iin.as_ref()).is_some_and(|(i, on_document)| i.expose() != on_document.as_str());
            if contradicted {
                verdict.decision = Decision::Review;
                verdict.reasons.push(Reason::DocumentDataMismatch);
            }
        }
        Some(MrzReading::Unreadable) => verdict.reasons.push(Reason::MrzUnreadable),
        Some(MrzReading::Absent) | None => {}
    }
}

/// Whether a verification opens a review case: anything sent to review, unusable document portraits, and a
/// document that contradicts the reference photo (whatever the decision).
pub fn needs_case(verdict: &Verdict) -> bool {
    verdict.decision == Decision::Review
        || verdict.reasons.iter().any(|r| {
            matches!(
                r,
                Reason::DocumentNoFace
                    | Reason::DocumentFaceTooSmall
                    | Reason::DocumentExtremePose
                    | Reason::DocumentBlurry
                    | Reason::ReferenceDocumentMismatch
            )
        })
}

fn quality_reasons(examined: &Examined, role: Role) -> Vec<Reason> {
    examined
        .issues
        .iter()
        .map(|issue| match (role, issue) {
            (Role::Selfie, QualityIssue::NoFace) => Reason::SelfieNoFace,
            (Role::Selfie, QualityIssue::MultipleFaces) => Reason::SelfieMultipleFaces,
            (Role::Selfie, QualityIssue::FaceTooSmall) => Reason::SelfieFaceTooSmall,
            (Role::Selfie, QualityIssue::ExtremePose) => Reason::SelfieExtremePose,
            (Role::Selfie, QualityIssue::Blurry) => Reason::SelfieBlurry,
            (Role::Document, QualityIssue::NoFace | QualityIssue::MultipleFaces) => Reason::DocumentNoFace,
            (Role::Document, QualityIssue::FaceTooSmall) => Reason::DocumentFaceTooSmall,
            (Role::Document, QualityIssue::ExtremePose) => Reason::DocumentExtremePose,
            (Role::Document, QualityIssue::Blurry) => Reason::DocumentBlurry,
            (Role::Reference, QualityIssue::NoFace | QualityIssue::MultipleFaces) => Reason::ReferenceNoFace,
            (Role::Reference, QualityIssue::FaceTooSmall | QualityIssue::ExtremePose | QualityIssue::Blurry) => {
                Reason::ReferenceUnusable
            }
            // Only document photos are looked at for a document.
            (_, QualityIssue::NotADocument) => Reason::DocumentNotFound,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(issues: Vec<QualityIssue>, live: Option<f32>) -> Examined {
        Examined {
            faces: 1,
            issues,
            face: None,
            embedding: None,
            live_score: live,
            crop: None,
            text_lines: None,
            mrz: None,
        }
    }

    fn evidence(similarity: Option<f32>, live: f32) -> Evidence {
        Evidence { selfie: side(vec![], Some(live)), document: side(vec![], None), similarity }
    }

    fn verdict(similarity: f32, live: f32) -> Verdict {
        decide(&evidence(Some(similarity), live), &Thresholds::default())
    }

    #[test]
    fn live_high_score_matches_and_low_score_does_not() {
        assert_eq!(verdict(0.8, 0.99).decision, Decision::Match);
        assert_eq!(verdict(0.8, 0.99).reasons, vec![Reason::FacesMatch]);
        assert_eq!(verdict(0.05, 0.99).decision, Decision::NoMatch);
    }

    #[test]
    fn borderline_scores_go_to_review_not_no_match() {
        let t = Thresholds::default();
        let v = verdict((t.match_min + t.review_min) / 2.0, 0.99);
        assert_eq!(v.decision, Decision::Review);
        assert_eq!(v.reasons, vec![Reason::BorderlineScore]);
    }

    #[test]
    fn spoofs_go_to_review_even_when_faces_match() {
        let v = verdict(0.9, 0.05);
        assert_eq!((v.decision, v.liveness), (Decision::Review, Liveness::Spoof));
        assert!(v.reasons.contains(&Reason::SpoofSuspected));
        let v = verdict(0.9, 0.5);
        assert_eq!((v.decision, v.liveness), (Decision::Review, Liveness::Inconclusive));
    }

    #[test]
    fn unusable_photos_are_rejected_with_every_reason() {
        let e = Evidence {
            selfie: side(vec![QualityIssue::MultipleFaces], None),
            document: side(vec![QualityIssue::Blurry, QualityIssue::FaceTooSmall], None),
            similarity: None,
        };
        let v = decide(&e, &Thresholds::default());
        assert_eq!(v.decision, Decision::Rejected);
        assert_eq!(v.reasons, vec![Reason::SelfieMultipleFaces, Reason::DocumentBlurry, Reason::DocumentFaceTooSmall]);
    }

    #[test]
    fn a_spoof_with_unusable_photos_still_goes_to_review() {
        let e = Evidence {
            selfie: side(vec![QualityIssue::ExtremePose], Some(0.1)),
            document: side(vec![], None),
            similarity: None,
        };
        let v = decide(&e, &Thresholds::default());
        assert_eq!((v.decision, v.liveness), (Decision::Review, Liveness::Spoof));
        assert_eq!(v.reasons, vec![Reason::SelfieExtremePose, Reason::SpoofSuspected]);
    }

    #[test]
    fn a_blocklist_hit_sends_even_a_match_to_review_opens_a_case_and_stays_with_analysts() {
        let mut v = Verdict { decision: Decision::Match, liveness: Liveness::Live, reasons: vec![Reason::FacesMatch] };
        flag_blocklisted(&mut v);
        assert_eq!(v.decision, Decision::Review);
        assert!(needs_case(&v));
        assert_eq!(Reason::for_client(&v.reasons), vec![Reason::UnderReview]);
    }

    #[test]
    fn a_duplicate_hit_sends_even_a_match_to_review_and_opens_a_case() {
        let mut v = verdict(0.8, 0.99);
        assert!(!needs_case(&v));
        flag_duplicate(&mut v);
        assert_eq!(v.decision, Decision::Review);
        assert_eq!(v.reasons, vec![Reason::FacesMatch, Reason::DuplicateIdentity]);
        assert!(needs_case(&v));
    }

    #[test]
    fn a_document_quality_failure_opens_a_case_a_selfie_one_does_not() {
        let doc = Evidence {
            selfie: side(vec![], Some(0.99)),
            document: side(vec![QualityIssue::Blurry], None),
            similarity: None,
        };
        assert!(needs_case(&decide(&doc, &Thresholds::default())));
        let selfie = Evidence {
            selfie: side(vec![QualityIssue::Blurry], Some(0.99)),
            document: side(vec![], None),
            similarity: None,
        };
        assert!(!needs_case(&decide(&selfie, &Thresholds::default())));
    }

    #[test]
    fn the_same_picture_as_document_goes_to_review() {
        let t = Thresholds::default();
        let v = verdict(t.same_picture_min, 0.99);
        assert_eq!(v.decision, Decision::Review);
        assert_eq!(v.reasons, vec![Reason::DocumentIsSelfie, Reason::FacesMatch]);
        assert!(needs_case(&v));
        assert_eq!(verdict(t.same_picture_min - 0.01, 0.99).decision, Decision::Match, "two photos of one person");
    }

    #[test]
    fn a_photo_that_is_no_document_is_rejected_for_a_retake_without_a_case() {
        let e = Evidence {
            selfie: side(vec![], Some(0.99)),
            document: side(vec![QualityIssue::NotADocument], None),
            similarity: None,
        };
        let v = decide(&e, &Thresholds::default());
        assert_eq!((v.decision, v.reasons.clone()), (Decision::Rejected, vec![Reason::DocumentNotFound]));
        assert!(!needs_case(&v));
        assert_eq!(v.for_client().reasons, vec![Reason::DocumentNotFound], "a retake hint the client sees");
    }

    #[test]
    fn a_reused_document_photo_goes_to_review() {
        let mut v = verdict(0.8, 0.99);
        flag_document_reuse(&mut v);
        assert_eq!((v.decision, v.reasons.last()), (Decision::Review, Some(&Reason::DocumentReused)));
    }

    /// Selfie, document and reference: live vs reference `live_ref`, live vs document `live_doc`, reference vs
    /// document `ref_doc`.
    fn with_reference(live_ref: f32, live_doc: f32, ref_doc: f32) -> Verdict {
        let e = evidence(Some(live_doc), 0.99);
        let r = ReferenceEvidence { examined: side(vec![], None), live: Some(live_ref), document: Some(ref_doc) };
        decide_with_reference(&e, Some(&r), &Thresholds::default(), LivenessBasis::StillPhoto)
    }

    #[test]
    fn with_a_reference_the_decision_rests_on_live_vs_reference() {
        let v = with_reference(0.7, 0.6, 0.65);
        assert_eq!((v.decision, v.reasons.clone()), (Decision::Match, vec![Reason::FacesMatch]));
        assert!(!needs_case(&v));
        // The document shows the applicant, the state's photo someone else: no_match on the reference, a case for
        // analysts, and the client told only the reference's reason.
        let v = with_reference(0.1, 0.7, 0.1);
        assert_eq!(v.decision, Decision::NoMatch);
        assert_eq!(v.reasons, vec![Reason::ReferenceMismatch, Reason::ReferenceDocumentMismatch]);
        assert!(needs_case(&v));
        assert_eq!(v.for_client().reasons, vec![Reason::ReferenceMismatch]);
        // Borderline on the reference is review, whatever the document says.
        assert_eq!(with_reference(0.40, 0.7, 0.7).reasons, vec![Reason::BorderlineScore]);
    }

    #[test]
    fn a_document_contradicting_a_reference_match_goes_to_review() {
        let v = with_reference(0.7, 0.1, 0.1);
        assert_eq!(v.decision, Decision::Review);
        assert_eq!(v.reasons, vec![Reason::FacesMatch, Reason::DocumentMismatch, Reason::ReferenceDocumentMismatch]);
        assert!(needs_case(&v));
        assert_eq!(v.for_client().reasons, vec![Reason::UnderReview]);
        // A borderline live-vs-document score (an old document photo) is no flag when the reference matches.
        let t = Thresholds::default();
        assert_eq!(with_reference(0.7, (t.match_min + t.review_min) / 2.0, 0.6).decision, Decision::Match);
    }

    #[test]
    fn the_duplicate_bar_is_the_floor_for_small_galleries_and_rises_with_large_ones() {
        let t = Thresholds::default();
        assert_eq!(t.duplicate_bar(0), t.duplicate_min);
        assert_eq!(t.duplicate_bar(1_000), t.duplicate_min);
        let bars = [10_000, 100_000, 1_000_000].map(|n| t.duplicate_bar(n));
        assert!(t.duplicate_min < bars[0] && bars[0] < bars[1] && bars[1] < bars[2], "{bars:?}");
        // Whatever the gallery, the modelled FPIR at the bar is the target.
        for n in [10_000, 1_000_000] {
            let fpir = t.impostor_tail.fpir(t.duplicate_bar(n), n);
            assert!((fpir / t.duplicate_target_fpir - 1.0).abs() < 0.01, "{n}: {fpir}");
        }
        // A tail that never ends (shape >= 0) can ask for more than any cosine: the bar stops at 1.
        let endless = ImpostorTail { shape: 0.3, ..t.impostor_tail };
        let strict = Thresholds { duplicate_target_fpir: 1e-12, impostor_tail: endless, ..t.clone() };
        assert_eq!(strict.duplicate_bar(1_000_000), 1.0);
        assert!(strict.validate().is_ok());
        let bad = Thresholds { duplicate_target_fpir: 0.0, ..t.clone() };
        assert!(bad.validate().is_err());
        let bad = Thresholds { impostor_tail: ImpostorTail { scale: 0.0, ..t.impostor_tail }, ..t };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn the_defaults_file_and_the_default_thresholds_agree() {
        let file = crate::config::Settings::defaults().expect("defaults").thresholds;
        assert_eq!(serde_json::to_value(&file).ok(), serde_json::to_value(Thresholds::default()).ok());
    }

    #[test]
    fn the_reference_picture_as_selfie_goes_to_review() {
        let v = with_reference(0.97, 0.6, 0.6);
        assert_eq!(v.decision, Decision::Review);
        assert_eq!(v.reasons, vec![Reason::SelfieIsReference, Reason::FacesMatch]);
    }

    #[test]
    fn an_unusable_reference_is_rejected_with_its_own_reason() {
        let e = evidence(Some(0.8), 0.99);
        for (issue, reason) in [
            (QualityIssue::NoFace, Reason::ReferenceNoFace),
            (QualityIssue::MultipleFaces, Reason::ReferenceNoFace),
            (QualityIssue::Blurry, Reason::ReferenceUnusable),
        ] {
            let r = ReferenceEvidence { examined: side(vec![issue], None), live: None, document: None };
            let v = decide_with_reference(&e, Some(&r), &Thresholds::default(), LivenessBasis::StillPhoto);
            assert_eq!((v.decision, v.reasons.clone()), (Decision::Rejected, vec![reason]));
            assert!(!needs_case(&v));
            assert_eq!(v.for_client().reasons, vec![reason], "the client learns its reference was unusable");
        }
    }

    #[test]
    fn threshold_validation_rejects_inverted_bands() {
        assert!(Thresholds::default().validate().is_ok());
        assert!(Thresholds { review_min: 0.5, match_min: 0.4, ..Thresholds::default() }.validate().is_err());
        assert!(Thresholds { live_min: 1.5, ..Thresholds::default() }.validate().is_err());
        let inverted = Thresholds { reference_review_min: 0.5, reference_match_min: 0.4, ..Thresholds::default() };
        assert!(inverted.validate().is_err());
        assert!(Thresholds { reference_document_min: -0.1, ..Thresholds::default() }.validate().is_err());
    }
}
