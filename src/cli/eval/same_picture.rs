//! `faceverify eval-same-picture PAIRS.csv`: how far apart "the same picture" and "two photos of one person" lie
//! in template similarity (cosine), for the same-picture check. Different pictures: the genuine pairs of the file (two photos of one person, the
//! hardest honest case). Same picture: every image of those pairs against copies of itself made here: re-encoded
//! as JPEG at quality 50, rescaled to 60 % (JPEG 75), and re-cropped to the central 90 % (JPEG 85). The
//! threshold is fitted on one source (`--fit-source`, default deepface) and reported on the others: never on the
//! data it was fitted to.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

use image::{imageops, DynamicImage, RgbImage};
use serde::Serialize;

use super::pairs::{EvalError, PairRow};
use crate::pipeline::pool::InferencePool;
use crate::pipeline::{decode, largest, DecodeLimits, Embedding};

/// The cosine of one comparison.
#[derive(Debug, Clone, Copy)]
struct Pair {
    cosine: f32,
}

/// Every comparison, for `FACEVERIFY_SAME_PICTURE_SCORES` (a CSV path): what the summary is made of.
fn dump(kind: &str, name: &str, variant: usize, p: &Pair) {
    if let Some(path) = std::env::var_os("FACEVERIFY_SAME_PICTURE_SCORES") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(f, "{kind},{name},{variant},{}", p.cosine);
        }
    }
}

#[derive(Debug, Default)]
struct Group {
    different: Vec<Pair>,
    same: Vec<Pair>,
    /// Images or copies where no face was found.
    unscored: usize,
}

#[derive(Debug, Serialize)]
pub struct GroupReport {
    pub sources: String,
    pub different_pictures: usize,
    pub same_picture_copies: usize,
    pub unscored: usize,
    pub highest_cosine_of_different_pictures: f32,
    pub lowest_cosine_of_copies: f32,
    /// Different pictures taken for the same one at the threshold (the honest applicant sent to review).
    pub different_flagged: usize,
    /// Copies not recognised as the same picture at the threshold.
    pub copies_missed: usize,
}

#[derive(Debug, Serialize)]
pub struct SamePictureReport {
    pub fit_source: String,
    /// Midway between the fit set's highest different-picture cosine and its lowest copy cosine.
    pub fitted_threshold: f32,
    pub configured_threshold: f32,
    pub fit: GroupReport,
    pub held_out: GroupReport,
}

/// Measures every genuine pair of `pairs_csv`; `configured` is the threshold in force, reported beside the fit.
pub fn run(
    pool: &InferencePool,
    pairs_csv: &Path,
    fit_source: &str,
    limits: &DecodeLimits,
    min_score: f32,
    configured: f32,
) -> Result<SamePictureReport, EvalError> {
    let base = pairs_csv.parent().unwrap_or(Path::new("."));
    let mut rows = Vec::new();
    for row in csv::Reader::from_path(pairs_csv)?.deserialize::<PairRow>() {
        let row = row?;
        if row.same == 1 {
            rows.push(row);
        }
    }
    if rows.is_empty() {
        return Err(EvalError::Empty);
    }
    let mut seen: BTreeMap<String, Option<Embedding>> = BTreeMap::new();
    let (mut fit, mut held_out) = (Group::default(), Group::default());
    for row in &rows {
        let group = if row.source == fit_source { &mut fit } else { &mut held_out };
        for name in [&row.img_a, &row.img_b] {
            if !seen.contains_key(name) {
                let bytes = std::fs::read(base.join(name)).unwrap_or_default();
                let original = examine(pool, bytes.clone(), limits, min_score)?;
                if let Some(original) = &original {
                    for (variant, copy) in copies(&bytes, limits).into_iter().enumerate() {
                        match examine(pool, copy, limits, min_score)? {
                            Some(copy) => {
                                let pair = compare(original, &copy);
                                dump("copy", name, variant, &pair);
                                group.same.push(pair);
                            }
                            None => group.unscored += 1,
                        }
                    }
                }
                seen.insert(name.clone(), original);
            }
        }
        match (&seen[&row.img_a], &seen[&row.img_b]) {
            (Some(a), Some(b)) => {
                let pair = compare(a, b);
                dump("different", &format!("{}|{}", row.img_a, row.img_b), 0, &pair);
                group.different.push(pair);
            }
            _ => group.unscored += 1,
        }
    }
    let highest_different = fit.different.iter().map(|p| p.cosine).fold(-1.0f32, f32::max);
    let lowest_copy = fit.same.iter().map(|p| p.cosine).fold(1.0f32, f32::min);
    let fitted = (highest_different + lowest_copy) / 2.0;
    Ok(SamePictureReport {
        fit_source: fit_source.to_owned(),
        fitted_threshold: fitted,
        configured_threshold: configured,
        fit: report(&fit, fit_source.to_owned(), configured),
        held_out: report(&held_out, format!("all but {fit_source}"), configured),
    })
}

fn compare(a: &Embedding, b: &Embedding) -> Pair {
    Pair { cosine: a.cosine(b) }
}

fn report(group: &Group, sources: String, threshold: f32) -> GroupReport {
    GroupReport {
        sources,
        different_pictures: group.different.len(),
        same_picture_copies: group.same.len(),
        unscored: group.unscored,
        highest_cosine_of_different_pictures: group.different.iter().map(|p| p.cosine).fold(-1.0, f32::max),
        lowest_cosine_of_copies: group.same.iter().map(|p| p.cosine).fold(1.0, f32::min),
        different_flagged: group.different.iter().filter(|p| p.cosine >= threshold).count(),
        copies_missed: group.same.iter().filter(|p| p.cosine < threshold).count(),
    }
}

/// The derived copies of one photo (JPEG bytes): re-encoded, rescaled, re-cropped.
fn copies(bytes: &[u8], limits: &DecodeLimits) -> Vec<Vec<u8>> {
    let Ok(img) = decode(bytes, limits) else { return Vec::new() };
    let img: RgbImage = (*img).clone();
    let (w, h) = img.dimensions();
    let rescaled = imageops::resize(&img, w * 3 / 5, h * 3 / 5, imageops::FilterType::Triangle);
    let (cw, ch) = (w * 9 / 10, h * 9 / 10);
    let cropped = imageops::crop_imm(&img, (w - cw) / 2, (h - ch) / 2, cw, ch).to_image();
    [(img, 50), (rescaled, 75), (cropped, 85)].into_iter().filter_map(|(i, q)| jpeg(&i, q)).collect()
}

/// `img` as JPEG at `quality` (copies for the measurement and the tests).
pub fn jpeg(img: &RgbImage, quality: u8) -> Option<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    DynamicImage::ImageRgb8(img.clone()).write_with_encoder(encoder).ok()?;
    Some(out.into_inner())
}

fn examine(
    pool: &InferencePool,
    bytes: Vec<u8>,
    limits: &DecodeLimits,
    min_score: f32,
) -> Result<Option<Embedding>, EvalError> {
    let limits = limits.clone();
    pool.run_blocking(move |p| -> Result<Option<Embedding>, String> {
        let Ok(img) = decode(&bytes, &limits) else { return Ok(None) };
        let faces = p.detect(&img, min_score).map_err(|e| e.to_string())?;
        let Some(face) = largest(&faces).copied() else { return Ok(None) };
        p.embed(&img, &face).map(Some).map_err(|e| e.to_string())
    })
    .map_err(|e| EvalError::Inference(e.to_string()))?
    .map_err(EvalError::Inference)
}
