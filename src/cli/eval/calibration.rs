//! `faceverify calibrate PAIRS.csv --target-fmr F`: the match threshold for a target false-match rate, chosen so
//! that it is never reported on the pairs it was fitted to. The identities are dealt into folds (round robin within
//! each source, by name); for each fold the threshold is fitted on the pairs of the other folds' identities and
//! tested on the pairs whose two identities are both in the fold (pairs that span folds are in neither). The test
//! counts of all folds are pooled into FNMR and FMR with 95% Wilson intervals, and, where no false match was seen,
//! the rule-of-three bound 3/n (ISO/IEC 19795-1). A pair with a photo where no face was found counts as a
//! non-match: a false non-match when genuine. The threshold to configure is then fitted on all pairs; the
//! cross-validated figures are what to expect of it.
//!
//! A target below 1 / (impostor pairs) cannot be resolved: the fit then falls back to just above the highest
//! impostor score seen, and the report says so.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::pairs::{ScoredPair, Scores};
use super::stats::Proportion;

#[derive(Debug, Serialize)]
pub struct CalibrationReport {
    pub target_fmr: f64,
    /// Fitted on every pair: the value for `thresholds.match_min`.
    pub threshold: f32,
    /// Whether the pairs hold enough impostors (at least 1 / target) to resolve the target.
    pub resolvable: bool,
    pub impostor_pairs: usize,
    pub identities: usize,
    pub folds: Vec<FoldReport>,
    /// Pooled over the folds' test pairs.
    pub fnmr: Proportion,
    pub fmr: Proportion,
    /// 3 / impostor test pairs when no false match was seen, else null.
    pub fmr_rule_of_three: Option<f64>,
    /// Pairs left out of every test because their two identities fall in different folds.
    pub pairs_spanning_folds: usize,
}

#[derive(Debug, Serialize)]
pub struct FoldReport {
    pub identities: Vec<String>,
    pub threshold: f32,
    pub resolvable: bool,
    pub genuine: usize,
    pub false_non_matches: usize,
    pub impostor: usize,
    pub false_matches: usize,
}

/// Deals identities into `k` folds: sorted by source and name, round robin, one running count across sources so
/// each fold gets some of every source.
fn deal(pairs: &[ScoredPair], k: usize) -> BTreeMap<(String, String), usize> {
    let identities: BTreeSet<(String, String)> = pairs
        .iter()
        .flat_map(|p| [(p.source.clone(), p.identity_a.clone()), (p.source.clone(), p.identity_b.clone())])
        .collect();
    identities.into_iter().enumerate().map(|(i, id)| (id, i % k.max(1))).collect()
}

fn scores<'a>(pairs: impl Iterator<Item = &'a ScoredPair>) -> Scores {
    let mut s = Scores::default();
    for p in pairs {
        s.add(p.same, p.score);
    }
    s
}

fn resolvable(s: &Scores, target: f64) -> bool {
    (s.impostor.len() + s.impostor_unscored) as f64 * target >= 1.0
}

pub fn calibrate(pairs: &[ScoredPair], target_fmr: f64, k: usize) -> CalibrationReport {
    let folds_of = deal(pairs, k);
    let fold = |p: &ScoredPair, id: &str| folds_of.get(&(p.source.clone(), id.to_owned())).copied().unwrap_or(0);
    let mut folds = Vec::new();
    let (mut genuine, mut fnm, mut impostor, mut fm) = (0, 0, 0, 0);
    for f in 0..k.max(1) {
        let train = scores(pairs.iter().filter(|p| fold(p, &p.identity_a) != f && fold(p, &p.identity_b) != f));
        let threshold = train.threshold_for_fmr(target_fmr);
        let test: Vec<&ScoredPair> =
            pairs.iter().filter(|p| fold(p, &p.identity_a) == f && fold(p, &p.identity_b) == f).collect();
        let g = test.iter().filter(|p| p.same).count();
        let i = test.len() - g;
        let false_non = test.iter().filter(|p| p.same && p.score.is_none_or(|s| s < threshold)).count();
        let false_match = test.iter().filter(|p| !p.same && p.score.is_some_and(|s| s >= threshold)).count();
        (genuine, fnm, impostor, fm) = (genuine + g, fnm + false_non, impostor + i, fm + false_match);
        let identities = folds_of.iter().filter(|(_, &v)| v == f).map(|((s, id), _)| format!("{s}/{id}")).collect();
        folds.push(FoldReport {
            identities,
            threshold,
            resolvable: resolvable(&train, target_fmr),
            genuine: g,
            false_non_matches: false_non,
            impostor: i,
            false_matches: false_match,
        });
    }
    let all = scores(pairs.iter());
    let tested: usize = folds.iter().map(|f| f.genuine + f.impostor).sum();
    CalibrationReport {
        target_fmr,
        threshold: all.threshold_for_fmr(target_fmr),
        resolvable: resolvable(&all, target_fmr),
        impostor_pairs: all.impostor.len() + all.impostor_unscored,
        identities: folds_of.len(),
        folds,
        fnmr: Proportion::new(fnm, genuine),
        fmr: Proportion::new(fm, impostor),
        fmr_rule_of_three: (fm == 0 && impostor > 0).then(|| 3.0 / impostor as f64),
        pairs_spanning_folds: pairs.len() - tested,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(source: &str, a: &str, b: &str, score: Option<f32>) -> ScoredPair {
        ScoredPair {
            img_a: format!("{a}.jpg"),
            img_b: format!("{b}.jpg"),
            same: a == b,
            source: source.into(),
            identity_a: a.into(),
            identity_b: b.into(),
            score,
        }
    }

    /// Four identities: genuine pairs score 0.8 (one fails to acquire), impostors 0.1 except one at 0.5.
    fn pairs() -> Vec<ScoredPair> {
        let ids = ["A", "B", "C", "D"];
        let mut out = Vec::new();
        for a in ids {
            out.push(pair("s", a, a, Some(0.8)));
            out.push(pair("s", a, a, if a == "D" { None } else { Some(0.8) }));
            for b in ids.iter().filter(|&&b| b > a) {
                out.push(pair("s", a, b, Some(if (a, *b) == ("A", "C") { 0.5 } else { 0.1 })));
            }
        }
        out
    }

    #[test]
    fn folds_test_only_on_identities_they_were_not_fitted_on() {
        let report = calibrate(&pairs(), 0.1, 2);
        // Identities A, C in fold 0 and B, D in fold 1: the impostor pairs A-C and B-D are the only ones tested.
        assert_eq!(report.identities, 4);
        assert_eq!(report.folds[0].identities, vec!["s/A", "s/C"]);
        assert_eq!((report.fmr.n, report.pairs_spanning_folds), (2, 4));
        // Fold 0 is fitted on B and D's pairs (impostor 0.1), so A-C at 0.5 is a false match there.
        assert_eq!(report.folds[0].false_matches, 1);
        assert_eq!(report.fmr.k, 1);
        // D's unscored genuine pair is a false non-match.
        assert_eq!((report.fnmr.k, report.fnmr.n), (1, 8));
        assert_eq!(report.fmr_rule_of_three, None);
    }

    #[test]
    fn a_target_below_one_over_the_impostor_count_is_flagged_unresolvable() {
        let report = calibrate(&pairs(), 1e-4, 2);
        assert!(!report.resolvable);
        assert!(report.threshold > 0.5, "falls back above the highest impostor: {}", report.threshold);
        let report = calibrate(&pairs(), 0.2, 2);
        assert!(report.resolvable);
    }
}
