//! The catalogues against each other and against the code tables they translate.

use std::collections::BTreeSet;

use fluent_bundle::FluentResource;

use super::catalogue::{has, source};
use super::{reason_code, Lang};
use crate::domain::{Decision, Liveness, Reason, Verdict};
use crate::error::ErrorCode;
use crate::policy::Role;
use crate::store::cases::CaseStatus;

const REASONS: [Reason; 30] = [
    Reason::FacesMatch,
    Reason::FacesDoNotMatch,
    Reason::BorderlineScore,
    Reason::SpoofSuspected,
    Reason::LivenessInconclusive,
    Reason::DuplicateIdentity,
    Reason::SelfieNoFace,
    Reason::SelfieMultipleFaces,
    Reason::SelfieFaceTooSmall,
    Reason::SelfieExtremePose,
    Reason::SelfieBlurry,
    Reason::DocumentNotFound,
    Reason::DocumentNoFace,
    Reason::DocumentFaceTooSmall,
    Reason::DocumentExtremePose,
    Reason::DocumentBlurry,
    Reason::UnderReview,
    Reason::DocumentIsSelfie,
    Reason::DocumentReused,
    Reason::DocumentDataMismatch,
    Reason::MrzUnreadable,
    Reason::BlocklistedFace,
    Reason::ReferenceMismatch,
    Reason::ReferenceNoFace,
    Reason::ReferenceUnusable,
    Reason::ReferenceDocumentMismatch,
    Reason::DocumentMismatch,
    Reason::SelfieIsReference,
    Reason::LivenessSessionFailed,
    Reason::PassiveLivenessOnly,
];

/// Stops compiling when a reason is added: add it to `REASONS` too, with its index here.
fn position(r: Reason) -> usize {
    match r {
        Reason::FacesMatch => 0,
        Reason::FacesDoNotMatch => 1,
        Reason::BorderlineScore => 2,
        Reason::SpoofSuspected => 3,
        Reason::LivenessInconclusive => 4,
        Reason::DuplicateIdentity => 5,
        Reason::SelfieNoFace => 6,
        Reason::SelfieMultipleFaces => 7,
        Reason::SelfieFaceTooSmall => 8,
        Reason::SelfieExtremePose => 9,
        Reason::SelfieBlurry => 10,
        Reason::DocumentNotFound => 11,
        Reason::DocumentNoFace => 12,
        Reason::DocumentFaceTooSmall => 13,
        Reason::DocumentExtremePose => 14,
        Reason::DocumentBlurry => 15,
        Reason::UnderReview => 16,
        Reason::DocumentIsSelfie => 17,
        Reason::DocumentReused => 18,
        Reason::DocumentDataMismatch => 19,
        Reason::MrzUnreadable => 20,
        Reason::BlocklistedFace => 21,
        Reason::ReferenceMismatch => 22,
        Reason::ReferenceNoFace => 23,
        Reason::ReferenceUnusable => 24,
        Reason::ReferenceDocumentMismatch => 25,
        Reason::DocumentMismatch => 26,
        Reason::SelfieIsReference => 27,
        Reason::LivenessSessionFailed => 28,
        Reason::PassiveLivenessOnly => 29,
    }
}

const STATUSES: [CaseStatus; 3] = [CaseStatus::Open, CaseStatus::PendingSignoff, CaseStatus::Closed];

/// A reason the client is told as "retake the photo" (seen through the public verdict rule).
fn asks_for_a_retake(r: Reason) -> bool {
    let verdict = Verdict { decision: Decision::Match, liveness: Liveness::Live, reasons: vec![r] };
    verdict.for_client().decision == Decision::Rejected
}

fn keys(lang: Lang) -> BTreeSet<String> {
    source(lang)
        .lines()
        .filter_map(|line| line.split_once(" = ").map(|(key, _)| key))
        .filter(|key| !key.starts_with(['#', ' ']) && !key.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_catalogue_parses_and_has_exactly_the_english_keys() {
    let english = keys(Lang::En);
    assert!(english.len() > 100, "{} keys", english.len());
    for lang in Lang::ALL {
        let parsed = FluentResource::try_new(source(lang).to_owned());
        assert!(parsed.is_ok(), "{}: {:?}", lang.code(), parsed.err().map(|(_, e)| e));
        let own = keys(lang);
        let missing: Vec<_> = english.difference(&own).collect();
        let extra: Vec<_> = own.difference(&english).collect();
        assert!(missing.is_empty() && extra.is_empty(), "{}: missing {missing:?}, extra {extra:?}", lang.code());
        for key in &english {
            assert!(has(lang, key), "{}: {key} did not load", lang.code());
        }
    }
}

#[test]
fn every_code_shown_has_its_label_in_every_language() {
    for (i, r) in REASONS.into_iter().enumerate() {
        assert_eq!(position(r), i, "REASONS lists every reason once, in order");
    }
    let mut wanted: Vec<String> = REASONS.iter().map(|&r| format!("reason-{}", reason_code(r))).collect();
    wanted.extend(REASONS.iter().filter(|&&r| asks_for_a_retake(r)).map(|&r| format!("hint-{}", reason_code(r))));
    wanted.extend(STATUSES.iter().map(|s| format!("status-{}", s.as_str())));
    wanted.extend(Role::ALL.iter().map(|r| format!("role-{}", r.as_str())));
    wanted.extend(ErrorCode::ALL.iter().map(|c| format!("error-{}", c.as_str())));
    for lang in Lang::ALL {
        for key in &wanted {
            assert!(has(lang, key), "{}: no {key}", lang.code());
        }
    }
    // And no label for a code that does not exist (a renamed reason would leave its old label behind).
    let page_texts = ["error-title", "error-code", "error-details", "error-back"];
    for key in keys(Lang::En) {
        let coded = ["reason-", "hint-", "status-", "role-", "error-"].iter().any(|p| key.starts_with(p));
        assert!(!coded || page_texts.contains(&key.as_str()) || wanted.contains(&key), "stale label {key}");
    }
}

#[test]
fn retake_hints_are_there_for_unusable_photos_only() {
    for r in REASONS {
        for lang in Lang::ALL {
            assert_eq!(lang.retake_hint(r).is_some(), asks_for_a_retake(r), "{} {r:?}", lang.code());
        }
    }
    let hint = Lang::Ru.retake_hint(Reason::SelfieBlurry).unwrap_or_default();
    assert!(hint.contains("Селфи"), "{hint}");
}

#[test]
fn labels_are_translated_and_fall_back_to_english() {
    assert_eq!(Lang::En.case_status(CaseStatus::PendingSignoff), "Awaiting sign-off");
    assert_eq!(Lang::Ru.case_status(CaseStatus::PendingSignoff), "Ожидает утверждения");
    assert_eq!(Lang::Kk.case_status(CaseStatus::PendingSignoff), "Бекітуді күтуде");
    assert_eq!(Lang::Kk.reason(Reason::SpoofSuspected), "Бетті алмастыру күдігі (ұсыну шабуылы)");
    assert_eq!(
        Lang::Ru.error_message("csrf_failed").split('.').next(),
        Some("Форма устарела или отправлена с другой страницы")
    );
    assert_eq!(Lang::Ru.text("no-such-key"), "no-such-key");
    for lang in Lang::ALL {
        assert_eq!(Lang::parse(lang.code()), Some(lang));
    }
    assert_eq!(Lang::parse("de"), None);
}
