//! The evaluation commands: each scores photos with the service's own pipeline and returns what is printed.
//! `pairs` scores a labelled pairs file (`eval`), `report` adds the DET plot and presentation-attack figures,
//! `calibration` fits the match threshold (`calibrate`), `acquisition`, `documents` and `same_picture` measure
//! the other checks; `stats` gives every rate its 95% interval.

pub mod acquisition;
pub mod calibration;
pub mod documents;
pub mod identification;
pub mod liveness;
pub mod pairs;
pub mod report;
pub mod same_picture;
pub mod stats;

use std::path::{Path, PathBuf};

use crate::config::Settings;
use pairs::PairMode;

/// `eval`'s flags.
pub struct EvalOptions {
    pub pairs: PathBuf,
    pub sources: Vec<String>,
    pub json: bool,
    pub report_dir: Option<PathBuf>,
    pub liveness: Option<PathBuf>,
    pub document_cards: bool,
    pub scores: Option<PathBuf>,
}

/// `eval`: FNMR/FMR per source at the configured threshold, as a table or JSON; with `report_dir`, also
/// accuracy.json and det.svg there.
pub fn eval(settings: &Settings, opts: EvalOptions) -> anyhow::Result<String> {
    let EvalOptions { pairs, sources, json, report_dir, liveness, document_cards, scores } = opts;
    let mode = if document_cards { PairMode::SelfieVsCard } else { PairMode::Photos };
    let sources = &sources[..];
    let pool = crate::engine::start(settings)?;
    let scored = pairs::pair_scores(
        &pool,
        &pairs,
        sources,
        &settings.pipeline.limits,
        settings.pipeline.detection.document_min_score,
        mode,
    )?;
    if let Some(path) = scores {
        pairs::write_scores(&path, &scored)?;
    }
    let groups = pairs::group_by_source(&scored);
    let reports: Vec<_> = groups.iter().map(|(source, s)| s.report(source, settings.thresholds.match_min)).collect();
    if let Some(dir) = report_dir {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("det.svg"), report::det_svg(&groups))?;
        let (limits, min_score, live_min) =
            (&settings.pipeline.limits, settings.pipeline.detection.selfie_min_score, settings.thresholds.live_min);
        let pad = match &liveness {
            Some(csv) => report::pad_report(&pool, csv, limits, min_score, live_min)?,
            None => Vec::new(),
        };
        let bona_fide = report::bpcer_on_pairs(&pool, &pairs, limits, min_score, live_min)?;
        let doc = serde_json::json!({
            "match_threshold": settings.thresholds.match_min,
            "live_threshold": live_min,
            "verification": reports,
            "presentation_attacks": pad,
            "bona_fide_on_pairs_photos": bona_fide,
        });
        std::fs::write(dir.join("accuracy.json"), serde_json::to_string_pretty(&doc)?)?;
    }
    if json {
        Ok(serde_json::to_string_pretty(&reports)?)
    } else {
        Ok(pairs::render(&reports))
    }
}

/// `calibrate`'s flags.
pub struct CalibrateOptions {
    pub pairs: PathBuf,
    pub target_fmr: f64,
    pub folds: usize,
    pub sources: Vec<String>,
    pub document_cards: bool,
}

/// `calibrate`: the cross-validated threshold for a target FMR, as JSON.
pub fn calibrate(settings: &Settings, opts: CalibrateOptions) -> anyhow::Result<String> {
    anyhow::ensure!(opts.target_fmr > 0.0 && opts.target_fmr < 1.0, "--target-fmr must be in (0, 1)");
    anyhow::ensure!(opts.folds >= 2, "--folds must be at least 2");
    let mode = if opts.document_cards { PairMode::SelfieVsCard } else { PairMode::Photos };
    let pool = crate::engine::start(settings)?;
    let scored = pairs::pair_scores(
        &pool,
        &opts.pairs,
        &opts.sources,
        &settings.pipeline.limits,
        settings.pipeline.detection.document_min_score,
        mode,
    )?;
    let report = calibration::calibrate(&scored, opts.target_fmr, opts.folds);
    fitted_on(&pool, report)
}

/// A calibration report with the recognition model its scores came from: the `thresholds.recognition_sha256`
/// that goes beside the fitted values.
#[derive(serde::Serialize)]
struct FittedOn<'a, T> {
    recognition_sha256: &'a str,
    #[serde(flatten)]
    report: T,
}

fn fitted_on(pool: &crate::pipeline::pool::InferencePool, report: impl serde::Serialize) -> anyhow::Result<String> {
    let recognition_sha256 = pool.template_space().model_sha256.as_str();
    Ok(serde_json::to_string_pretty(&FittedOn { recognition_sha256, report })?)
}

/// `calibrate-1n`: the 1:N duplicate rule's tail and the bar, FPIR and FNIR per gallery size, as JSON.
pub fn calibrate_identification(
    settings: &Settings,
    opts: &identification::IdentificationOptions,
) -> anyhow::Result<String> {
    anyhow::ensure!(opts.target_fpir > 0.0 && opts.target_fpir < 1.0, "--target-fpir must be in (0, 1)");
    anyhow::ensure!(opts.tail_fraction > 0.0 && opts.tail_fraction < 0.5, "--tail-fraction must be in (0, 0.5)");
    let pool = crate::engine::start(settings)?;
    let d = &settings.pipeline.detection;
    // The gallery holds selfies; the cards' portraits are found at the document threshold, as the service does.
    let report = identification::run(
        &pool,
        opts,
        &settings.pipeline.limits,
        d.selfie_min_score,
        d.document_min_score,
        &settings.thresholds,
    )?;
    fitted_on(&pool, report)
}

/// `eval-acquisition`: failure to acquire on hard captures made from a pairs file's photos, as JSON.
pub fn eval_acquisition(settings: &Settings, pairs: &Path) -> anyhow::Result<String> {
    let pool = crate::engine::start(settings)?;
    let d = &settings.pipeline.detection;
    let report = acquisition::run(&pool, pairs, &settings.pipeline.limits, d.selfie_min_score, d.document_min_score)?;
    Ok(serde_json::to_string_pretty(&report)?)
}

/// `eval-documents`: the document checks on the shared photos, as JSON; runs them as the service does (document
/// required, machine-readable zone read).
pub fn eval_documents(mut settings: Settings, faces_dir: &Path) -> anyhow::Result<String> {
    settings.pipeline.document.required = true;
    settings.pipeline.document.read_mrz = true;
    let pool = crate::engine::start(&settings)?;
    let report =
        documents::run(&pool, faces_dir, &settings.pipeline.limits, settings.pipeline.document.min_text_lines)?;
    Ok(serde_json::to_string_pretty(&report)?)
}

/// `eval-liveness`: the liveness-session analysis on the synthesised sessions of `csv` (photos under `faces_dir`,
/// by default the CSV's folder), as JSON.
pub fn eval_liveness(settings: &Settings, csv: &Path, faces_dir: Option<&Path>) -> anyhow::Result<String> {
    let pool = crate::engine::start(settings)?;
    let dir = faces_dir.map(Path::to_path_buf).unwrap_or_else(|| csv.parent().unwrap_or(Path::new(".")).to_path_buf());
    let report = liveness::run(&pool, &settings.liveness, csv, &dir)?;
    Ok(serde_json::to_string_pretty(&report)?)
}

/// `eval-same-picture`: the same-picture check fitted on `fit_source` and reported on the others, as JSON.
pub fn eval_same_picture(settings: &Settings, pairs: &Path, fit_source: &str) -> anyhow::Result<String> {
    let pool = crate::engine::start(settings)?;
    let report = same_picture::run(
        &pool,
        pairs,
        fit_source,
        &settings.pipeline.limits,
        settings.pipeline.detection.document_min_score,
        settings.thresholds.same_picture_min,
    )?;
    Ok(serde_json::to_string_pretty(&report)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_calibration_report_names_its_model_beside_its_own_fields() {
        #[derive(serde::Serialize)]
        struct Report {
            threshold: f32,
        }
        let json = serde_json::to_value(FittedOn { recognition_sha256: "ab12", report: Report { threshold: 0.42 } })
            .expect("serialises");
        assert_eq!(json["recognition_sha256"], "ab12");
        assert!((json["threshold"].as_f64().expect("flattened") - 0.42).abs() < 1e-6);
    }
}
