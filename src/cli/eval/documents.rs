//! `faceverify eval-documents FACES_DIR`: what the document checks find and refuse on the shared photos.
//! Presence. Documents: every row of `documents/documents.csv` (specimen ID cards, passports and visas, fronts and
//! backs); among those with a portrait, how many are also usable (presence passed, one face fit to compare).
//! Not documents: every distinct photo named in `pairs.csv` (press photos, portraits, face crops): how many are
//! refused. The rule's threshold comes from the specification (`document::presence`), not from these photos.
//! MRZ. PassportEye's test images carry, as the prefix of their file name, the share of MRZ checks PassportEye
//! expects to pass (100: a complete, valid zone): how many of those are read with every check digit holding, and
//! how many of the others are read at all.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::pairs::EvalError;
use super::stats::Proportion;
use crate::document::mrz::MrzReading;
use crate::pipeline::pool::InferencePool;
use crate::pipeline::{decode, DecodeLimits, Role};

#[derive(Debug, Deserialize)]
struct DocumentRow {
    img: String,
    has_portrait: String,
}

#[derive(Debug, Serialize)]
pub struct PresenceReport {
    pub min_text_lines: usize,
    /// Documents found as documents.
    pub documents_found: Proportion,
    /// Documents with a portrait that are found and whose portrait is fit to compare.
    pub portrait_documents_usable: Proportion,
    /// Photos that are no document, refused as such.
    pub photos_refused: Proportion,
    /// Text lines counted on each side (min / median / max).
    pub document_lines: [usize; 3],
    pub photo_lines: [usize; 3],
    /// The files the rule got wrong (specimen documents and published photos; no applicant data).
    pub documents_missed: Vec<String>,
    pub portraits_unusable: Vec<String>,
    pub photos_accepted: Vec<String>,
    /// PassportEye images whose zone is complete and valid (prefix 100): read with every check digit holding.
    pub mrz_valid_read: Proportion,
    /// Of those, the ones not read.
    pub mrz_valid_missed: Vec<String>,
    /// PassportEye images with a damaged or partial zone (prefix below 100): read anyway (check digits holding).
    pub mrz_damaged_read: Proportion,
}

struct Seen {
    lines: usize,
    usable: bool,
    mrz: Option<MrzReading>,
}

/// `pool` must check presence (`pipeline.document.required`) with `min_text_lines` and read the MRZ.
pub fn run(
    pool: &InferencePool,
    faces_dir: &Path,
    limits: &DecodeLimits,
    min_text_lines: usize,
) -> Result<PresenceReport, EvalError> {
    let mut docs = Vec::new();
    for row in csv::Reader::from_path(faces_dir.join("documents/documents.csv"))?.deserialize::<DocumentRow>() {
        docs.push(row?);
    }
    let photos = super::pairs::photos_of(&faces_dir.join("pairs.csv"))?;
    let (mut doc_lines, mut found, mut portraits, mut usable, mut missed) = (Vec::new(), 0, 0, 0, Vec::new());
    let mut unusable = Vec::new();
    let (mut valid, mut valid_read, mut damaged, mut damaged_read, mut valid_missed) = (0, 0, 0, 0, Vec::new());
    for doc in &docs {
        let Some(seen) = examine(pool, &faces_dir.join(&doc.img), limits)? else { continue };
        let read = matches!(seen.mrz, Some(MrzReading::Read(_)));
        match passporteye_score(&doc.img) {
            Some(100) => {
                valid += 1;
                valid_read += usize::from(read);
                if !read {
                    valid_missed.push(doc.img.clone());
                }
            }
            Some(_) => {
                damaged += 1;
                damaged_read += usize::from(read);
            }
            None => {}
        }
        doc_lines.push(seen.lines);
        if seen.lines >= min_text_lines {
            found += 1;
        } else {
            missed.push(doc.img.clone());
        }
        if doc.has_portrait == "yes" {
            portraits += 1;
            usable += usize::from(seen.usable);
            if !seen.usable {
                unusable.push(doc.img.clone());
            }
        }
    }
    let (mut photo_lines, mut refused, mut accepted) = (Vec::new(), 0, Vec::new());
    for photo in &photos {
        let Some(seen) = examine(pool, &faces_dir.join(photo), limits)? else { continue };
        photo_lines.push(seen.lines);
        if seen.lines < min_text_lines {
            refused += 1;
        } else {
            accepted.push(photo.clone());
        }
    }
    Ok(PresenceReport {
        min_text_lines,
        documents_found: Proportion::new(found, doc_lines.len()),
        portrait_documents_usable: Proportion::new(usable, portraits),
        photos_refused: Proportion::new(refused, photo_lines.len()),
        document_lines: spread(&mut doc_lines),
        photo_lines: spread(&mut photo_lines),
        documents_missed: missed,
        portraits_unusable: unusable,
        photos_accepted: accepted,
        mrz_valid_read: Proportion::new(valid_read, valid),
        mrz_valid_missed: valid_missed,
        mrz_damaged_read: Proportion::new(damaged_read, damaged),
    })
}

/// PassportEye's expected MRZ score, from a file name such as `documents/passporteye/100_pass-uto.jpg`.
fn passporteye_score(img: &str) -> Option<u32> {
    let name = img.strip_prefix("documents/passporteye/")?;
    name.split_once('_')?.0.parse().ok()
}

fn spread(v: &mut [usize]) -> [usize; 3] {
    v.sort_unstable();
    match v {
        [] => [0; 3],
        _ => [v[0], v[v.len() / 2], v[v.len() - 1]],
    }
}

/// Text lines and usability of one file as a document photo; `None` when it cannot be read or decoded.
fn examine(pool: &InferencePool, path: &Path, limits: &DecodeLimits) -> Result<Option<Seen>, EvalError> {
    let Ok(bytes) = std::fs::read(path) else {
        tracing::warn!(path = %path.display(), "unreadable image");
        return Ok(None);
    };
    let limits = limits.clone();
    pool.run_blocking(move |p| -> Result<Option<Seen>, String> {
        let Ok(img) = decode(&bytes, &limits) else { return Ok(None) };
        let examined = p.examine(&img, Role::Document).map_err(|e| e.to_string())?;
        let lines = examined.text_lines.ok_or("pipeline.document.required is off: presence was not checked")?;
        let usable = examined.issues.is_empty() && examined.embedding.is_some();
        Ok(Some(Seen { lines, usable, mrz: examined.mrz }))
    })
    .map_err(|e| EvalError::Inference(e.to_string()))?
    .map_err(EvalError::Inference)
}
