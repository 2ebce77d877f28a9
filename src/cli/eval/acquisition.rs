//! `faceverify eval-acquisition PAIRS.csv`: failure to acquire (no face found) on captures the detector finds
//! hard, made here from every distinct photo of a pairs file whose face is found as it is:
//! - `tight`: the face's detector box (a square around it), scaled to 150 px: the face fills the frame, as face-crop
//!   datasets and some capture SDKs deliver it;
//! - `tight_grey`: that crop in grey;
//! - `dim`: the whole photo at a third of its brightness with a little sensor noise, as a webcam in a dark room;
//! - `small`: the whole photo scaled so the face is about 40 px wide, as a document portrait in a phone photo.
//!
//! Each at the selfie and the document detector thresholds. These are synthesised from press photos: a lender must
//! measure failure to acquire on its own captures.

use std::path::Path;

use image::{imageops, RgbImage};
use serde::Serialize;

use super::pairs::EvalError;
use super::stats::Proportion;
use crate::pipeline::pool::InferencePool;
use crate::pipeline::{decode, iou, largest, DecodeLimits, Face};

const VARIANTS: [&str; 4] = ["tight", "tight_grey", "dim", "small"];

#[derive(Debug, Serialize)]
pub struct VariantReport {
    pub variant: &'static str,
    /// Photos where no face was found at the selfie threshold.
    pub fta_selfie: Proportion,
    /// ... and at the document threshold.
    pub fta_document: Proportion,
    /// The first few photos missed at the selfie threshold (published photos; no applicant data).
    pub examples_missed: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct AcquisitionReport {
    pub photos: usize,
    /// Photos whose face is not found even as they are (left out of the variants).
    pub originals_without_face: usize,
    pub variants: Vec<VariantReport>,
}

pub fn run(
    pool: &InferencePool,
    pairs_csv: &Path,
    limits: &DecodeLimits,
    selfie_min: f32,
    document_min: f32,
) -> Result<AcquisitionReport, EvalError> {
    let base = pairs_csv.parent().unwrap_or(Path::new("."));
    let photos = super::pairs::photos_of(pairs_csv)?;
    let mut missed = [[0usize; 2]; VARIANTS.len()];
    let mut examples: [Vec<String>; VARIANTS.len()] = Default::default();
    let (mut tried, mut without) = (0, 0);
    for photo in &photos {
        let Ok(bytes) = std::fs::read(base.join(photo)) else { continue };
        let limits = limits.clone();
        // None: not an image; Some(None): no face even as it is; else whether each variant's face was found.
        let outcome = pool
            .run_blocking(move |p| -> Result<Option<Option<Found>>, String> {
                let Ok(img) = decode(&bytes, &limits) else { return Ok(None) };
                let faces = p.detect(&img, document_min).map_err(|e| e.to_string())?;
                let Some(face) = largest(&faces).copied() else { return Ok(Some(None)) };
                let mut found = [[false; 2]; VARIANTS.len()];
                for (i, variant) in VARIANTS.iter().enumerate() {
                    let (made, expected) = make(&img, &face, variant);
                    for (j, min) in [selfie_min, document_min].into_iter().enumerate() {
                        // Acquired: a face found where the face is (not a face-like patch elsewhere).
                        let faces = p.detect(&made, min).map_err(|e| e.to_string())?;
                        found[i][j] = faces.iter().any(|f| iou(&f.bbox, &expected.bbox) >= 0.3);
                    }
                }
                Ok(Some(Some(found)))
            })
            .map_err(|e| EvalError::Inference(e.to_string()))?
            .map_err(EvalError::Inference)?;
        let Some(outcome) = outcome else { continue };
        tried += 1;
        let Some(found) = outcome else {
            without += 1;
            continue;
        };
        for ((m, f), e) in missed.iter_mut().zip(found).zip(examples.iter_mut()) {
            for j in 0..2 {
                m[j] += usize::from(!f[j]);
            }
            if !f[0] && e.len() < 5 {
                e.push(photo.clone());
            }
        }
    }
    let n = tried - without;
    Ok(AcquisitionReport {
        photos: tried,
        originals_without_face: without,
        variants: VARIANTS
            .iter()
            .zip(missed)
            .zip(examples)
            .map(|((variant, m), examples_missed)| VariantReport {
                variant,
                fta_selfie: Proportion::new(m[0], n),
                fta_document: Proportion::new(m[1], n),
                examples_missed,
            })
            .collect(),
    })
}

type Found = [[bool; 2]; VARIANTS.len()];

/// One hard capture made from `img`, and where its face is in it.
pub fn make(img: &RgbImage, face: &Face, variant: &str) -> (RgbImage, Face) {
    match variant {
        "tight" => tight(img, face),
        "tight_grey" => {
            let (crop, at) = tight(img, face);
            (grey(&crop), at)
        }
        "dim" => (dim(img), *face),
        _ => small(img, face),
    }
}

fn tight(img: &RgbImage, face: &Face) -> (RgbImage, Face) {
    let [x0, y0, x1, y1] = face.bbox;
    let side = (x1 - x0).max(y1 - y0);
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let (w, h) = (img.width() as f32, img.height() as f32);
    let left = (cx - side / 2.0).clamp(0.0, w - 1.0);
    let top = (cy - side / 2.0).clamp(0.0, h - 1.0);
    let size = side.min(w - left).min(h - top).max(1.0);
    let (left, top, size) = (left.floor(), top.floor(), size.floor());
    let crop = imageops::crop_imm(img, left as u32, top as u32, size as u32, size as u32).to_image();
    let s = 150.0 / size;
    let at = face.shifted(-left, -top).scaled_by(s);
    (imageops::resize(&crop, 150, 150, imageops::FilterType::Triangle), at)
}

fn grey(img: &RgbImage) -> RgbImage {
    let mut out = img.clone();
    for p in out.pixels_mut() {
        let [r, g, b] = p.0.map(f32::from);
        let y = (0.299 * r + 0.587 * g + 0.114 * b).round() as u8;
        p.0 = [y, y, y];
    }
    out
}

fn dim(img: &RgbImage) -> RgbImage {
    let mut out = img.clone();
    for (i, p) in out.pixels_mut().enumerate() {
        // A deterministic ripple as sensor noise: +-3 levels.
        let noise = ((i as u32).wrapping_mul(2_654_435_761) >> 29) as f32 - 3.5;
        p.0 = p.0.map(|c| (f32::from(c) / 3.0 + noise).clamp(0.0, 255.0) as u8);
    }
    out
}

fn small(img: &RgbImage, face: &Face) -> (RgbImage, Face) {
    let scale = (40.0 / face.width().max(1.0)).min(1.0);
    let (w, h) = ((img.width() as f32 * scale).max(1.0) as u32, (img.height() as f32 * scale).max(1.0) as u32);
    (imageops::resize(img, w, h, imageops::FilterType::Triangle), face.scaled_by(scale))
}
