//! The acceptance bar of the verification issue: FNMR <= 1% at FMR <= 0.1% on the deepface and dlib_johns
//! pairs, and the configured operating threshold itself within both bounds.

use faceverify::cli::eval::pairs::{score_pairs, PairMode};

use crate::helpers::{pool, require_shared, settings};

#[test]
fn operating_threshold_meets_the_accuracy_bar_on_reference_pairs() {
    let shared = require_shared!();
    let s = settings();
    let pairs = shared.join("data/faces/pairs.csv");
    let sources = ["deepface".to_owned(), "dlib_johns".to_owned()];
    let (limits, min_score) = (&s.pipeline.limits, s.pipeline.detection.document_min_score);
    let groups = score_pairs(&pool(), &pairs, &sources, limits, min_score, PairMode::Photos).expect("scores");
    for source in sources.iter().map(String::as_str).chain(["all"]) {
        let report = groups[source].report(source, s.thresholds.match_min);
        eprintln!("{report:?}");
        assert!(report.genuine > 100 && report.impostor > 1000, "{source}: too few pairs");
        assert!(report.fnmr_at_fmr_1e3 <= 0.01, "{source}: FNMR at FMR 1e-3 is {}", report.fnmr_at_fmr_1e3);
        assert!(report.fmr <= 0.001, "{source}: FMR at the operating threshold is {}", report.fmr);
        assert!(report.fnmr <= 0.01, "{source}: FNMR at the operating threshold is {}", report.fnmr);
    }
}
