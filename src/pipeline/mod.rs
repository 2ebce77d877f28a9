//! The biometric pipeline: decode -> detect -> quality -> liveness -> align -> embed -> compare.
//! `Pipeline` is synchronous and owns its ONNX sessions; `pool` runs pipelines on dedicated threads.

mod align;
pub mod batch;
mod buffers;
mod decode;
mod detect;
mod embed;
mod face;
mod image_ops;
mod jpeg_scan;
mod liveness;
pub mod models;
pub mod onnx_graph;
pub mod pool;
pub mod quality;
pub mod recognition;
pub mod testing;
mod text_detect;
mod text_recognize;

use image::{ImageEncoder, RgbImage};
use serde::Deserialize;

pub use align::{align, align_to, ALIGNED_SIZE};
pub use buffers::{Pixels, UploadBytes};
pub use decode::{decode, DecodeError, DecodeLimits};
pub use embed::{Embedding, EMBEDDING_DIM};
pub use face::{iou, largest, Face};
pub use models::{Device, InferenceError, ModelError, ModelFiles, ModelHash, SessionOptions};
pub use quality::{QualityIssue, QualityLimits, Role};
pub use recognition::{RecognitionLayout, TemplateSpace};
pub use text_detect::TextBox;

use detect::Detector;
use embed::Embedder;
use liveness::Liveness;
use text_detect::TextDetector;

use text_recognize::TextRecognizer;

use crate::document::mrz::{self, MrzReading};
use crate::document::{presence, DocumentSettings};

/// How wide (pixels) a small face is made before its landmarks are found again (`Pipeline::refined`).
const REFINED_FACE_PX: f32 = 160.0;
/// The face is already found: the second look only needs its landmarks.
const REFINE_MIN_SCORE: f32 = 0.5;

/// Detector score thresholds per role (the models README: 0.8 for selfies, 0.6 for ID images).
#[derive(Debug, Clone, Deserialize)]
pub struct DetectionSettings {
    pub selfie_min_score: f32,
    pub document_min_score: f32,
    /// When no face is found: look again in the photo padded (a face that fills the frame) and contrast-stretched
    /// (a dim capture). `faceverify eval-acquisition` measures both ways.
    pub retry_hard_captures: bool,
    /// A face whose eyes are closer than this (pixels) has its landmarks found again in its region enlarged until
    /// the face is `REFINED_FACE_PX` wide before it is aligned (YuNet's landmarks on a small face are coarse). 0: never.
    #[serde(default)]
    pub refine_landmarks_below: f32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PipelineSettings {
    pub detection: DetectionSettings,
    pub quality: QualityLimits,
    pub limits: DecodeLimits,
    /// The document photo must show a document (`document::presence`).
    pub document: DocumentSettings,
}

impl PipelineSettings {
    pub fn validate(&self) -> Result<(), crate::config::Invalid> {
        use crate::config::Invalid;
        let limits = &self.limits;
        if limits.max_bytes == 0 || limits.max_pixels == 0 || limits.max_side == 0 {
            return Err(Invalid::new("limits", "max_bytes, max_pixels and max_side must be positive"));
        }
        let d = &self.detection;
        if !(0.0..1.0).contains(&d.selfie_min_score) || !(0.0..1.0).contains(&d.document_min_score) {
            return Err(Invalid::new("detection", "scores must be in [0, 1)"));
        }
        if !(d.refine_landmarks_below.is_finite() && d.refine_landmarks_below >= 0.0) {
            return Err(Invalid::new("detection.refine_landmarks_below", "must be a distance in pixels, 0 for never"));
        }
        if self.document.required && self.document.min_text_lines == 0 {
            return Err(Invalid::new("document.min_text_lines", "must be at least 1 when a document is required"));
        }
        Ok(())
    }
}

/// The aligned 112x112 RGB face crop, kept only for flagged cases (sealed) and analyst review.
/// Biometric data: zeroed on drop, redacted in Debug.
#[derive(Clone, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct FaceCrop(Vec<u8>);

impl FaceCrop {
    /// PNG bytes (112x112 RGB) of the crop.
    pub fn to_png(&self) -> Result<zeroize::Zeroizing<Vec<u8>>, image::ImageError> {
        // Reserved up front so the encoder never reallocates, leaving no unzeroed copy behind.
        let mut out = zeroize::Zeroizing::new(Vec::with_capacity(self.0.len() + 4096));
        image::codecs::png::PngEncoder::new(&mut *out).write_image(
            &self.0,
            ALIGNED_SIZE,
            ALIGNED_SIZE,
            image::ExtendedColorType::Rgb8,
        )?;
        Ok(out)
    }
}

impl std::fmt::Debug for FaceCrop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FaceCrop(<redacted>)")
    }
}

/// What the pipeline learnt from one photo.
#[derive(Debug)]
pub struct Examined {
    pub faces: usize,
    pub issues: Vec<QualityIssue>,
    /// The main face, when one was found and it passed the face-set checks.
    pub face: Option<Face>,
    pub embedding: Option<Embedding>,
    /// P(real) of the main face; selfies only.
    pub live_score: Option<f32>,
    /// The aligned crop of the main face, when one was found.
    pub crop: Option<FaceCrop>,
    /// Lines of printed text found; documents only, when presence is checked.
    pub text_lines: Option<usize>,
    /// The machine-readable zone; documents only, when it is read.
    pub mrz: Option<MrzReading>,
}

/// Which uploaded part an error concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Selfie,
    Document,
    /// The optional state-database portrait.
    Reference,
}

impl Part {
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Selfie => "selfie",
            Part::Document => "document",
            Part::Reference => "reference",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("{}: {source}", part.as_str())]
    Decode { part: Part, source: DecodeError },
    #[error(transparent)]
    Inference(#[from] InferenceError),
}

/// Everything the decision needs about a selfie/document pair.
#[derive(Debug)]
pub struct Evidence {
    pub selfie: Examined,
    pub document: Examined,
    pub similarity: Option<f32>,
}

impl Evidence {
    /// Puts the two examinations together; the similarity exists when both have a template.
    pub fn new(selfie: Examined, document: Examined) -> Self {
        let similarity = match (&selfie.embedding, &document.embedding) {
            (Some(a), Some(b)) => Some(a.cosine(b)),
            _ => None,
        };
        Self { selfie, document, similarity }
    }
}

/// The state-database portrait examined, and the two comparisons it takes part in. Never stored or searched.
#[derive(Debug)]
pub struct ReferenceEvidence {
    pub examined: Examined,
    /// Cosine of the selfie's template with the reference's (live vs reference): what the decision rests on.
    pub live: Option<f32>,
    /// Cosine of the reference's template with the document portrait's (reference vs document).
    pub document: Option<f32>,
}

impl ReferenceEvidence {
    /// The reference's comparisons with the selfie and the document of `evidence`, where both sides have a template.
    pub fn new(examined: Examined, evidence: &Evidence) -> Self {
        let cosine = |other: &Option<Embedding>| match (&examined.embedding, other) {
            (Some(a), Some(b)) => Some(a.cosine(b)),
            _ => None,
        };
        let live = cosine(&evidence.selfie.embedding);
        let document = cosine(&evidence.document.embedding);
        Self { examined, live, document }
    }
}

pub struct Pipeline {
    detector: Detector,
    text_detector: TextDetector,
    text_recognizer: TextRecognizer,
    embedder: Embedder,
    /// What the recognition model reads and gives.
    recognition_layout: RecognitionLayout,
    /// The model the embedder's templates come from.
    template_space: TemplateSpace,
    liveness: Liveness,
    settings: PipelineSettings,
}

impl Pipeline {
    pub fn load(
        files: &ModelFiles,
        dylib: &std::path::Path,
        opts: &SessionOptions,
        settings: PipelineSettings,
    ) -> Result<Self, ModelError> {
        Self::load_with(files, dylib, opts, settings, &batch::Batchers::default())
    }

    /// As `load`; a model with a batcher in `batchers` is run through it instead of a session of this pipeline's own.
    pub fn load_with(
        files: &ModelFiles,
        dylib: &std::path::Path,
        opts: &SessionOptions,
        settings: PipelineSettings,
        batchers: &batch::Batchers,
    ) -> Result<Self, ModelError> {
        use batch::Runner;
        let env = models::environment(dylib)?;
        let open = |path: &std::path::Path| models::open_session(&env, path, opts);
        let detector = Runner::new(&batchers.detect, || detect::DetectModel::open(&env, files, opts, false))?;
        let liveness = Runner::new(&batchers.liveness, || liveness::LivenessModel::open(&env, files, opts, false))?;
        let embedder = Runner::new(&batchers.embed, || embed::Recognizer::open(&env, files, opts, false))?;
        Ok(Self {
            template_space: files.template_space.clone(),
            detector: Detector::new(detector),
            text_detector: TextDetector::new(open(&files.text_detection)?),
            text_recognizer: TextRecognizer::new(open(&files.text_recognition)?, &files.text_recognition)?,
            embedder: Embedder(embedder),
            recognition_layout: files.recognition_layout.clone(),
            liveness: Liveness::new(liveness),
            settings,
        })
    }

    pub fn settings(&self) -> &PipelineSettings {
        &self.settings
    }

    /// The recognition model's templates: its sha256 and their length.
    pub fn template_space(&self) -> &TemplateSpace {
        &self.template_space
    }

    /// Every face scoring above `min_score`; when there is none, the hard-capture retries (`retry_hard_captures`).
    pub fn detect(&mut self, img: &RgbImage, min_score: f32) -> Result<Vec<Face>, InferenceError> {
        let faces = self.detector.detect(img, min_score)?;
        if !faces.is_empty() || !self.settings.detection.retry_hard_captures {
            return Ok(faces);
        }
        let faces = self.detect_padded(img, min_score)?;
        if !faces.is_empty() {
            return Ok(faces);
        }
        match image_ops::stretched_if_dim(img) {
            Some(bright) => self.detect_padded(&bright, min_score),
            None => Ok(faces),
        }
    }

    /// YuNet finds faces smaller than its frame: a face that fills the photo is found once the photo sits in a
    /// border of its own mean colour, half its longer side wide.
    fn detect_padded(&mut self, img: &RgbImage, min_score: f32) -> Result<Vec<Face>, InferenceError> {
        let border = img.width().max(img.height()) / 2;
        let padded = image_ops::padded(img, border);
        let offset = border as f32;
        Ok(self.detector.detect(&padded, min_score)?.into_iter().map(|f| f.shifted(-offset, -offset)).collect())
    }

    /// `face` with its landmarks found again in its region enlarged (when it is small, see
    /// `DetectionSettings::refine_landmarks_below`); as it is when they are not found there.
    pub fn refined(&mut self, img: &RgbImage, face: &Face) -> Result<Face, InferenceError> {
        let below = self.settings.detection.refine_landmarks_below;
        if below <= 0.0 || face.inter_ocular() >= below || face.width() <= 1.0 {
            return Ok(*face);
        }
        // A square about the face, 2.5 times its larger side, cut to the photo.
        let side = 2.5 * face.width().max(face.height());
        let (cx, cy) = ((face.bbox[0] + face.bbox[2]) / 2.0, (face.bbox[1] + face.bbox[3]) / 2.0);
        let clamp = |v: f32, max: u32| v.clamp(0.0, max as f32) as u32;
        let (x0, y0) = (clamp(cx - side / 2.0, img.width()), clamp(cy - side / 2.0, img.height()));
        let (x1, y1) = (clamp(cx + side / 2.0, img.width()), clamp(cy + side / 2.0, img.height()));
        let (w, h) = (x1.saturating_sub(x0), y1.saturating_sub(y0));
        // At most 1024 px a side, whatever the box's shape.
        let scale = (REFINED_FACE_PX / face.width()).min(1024.0 / w.max(h).max(1) as f32);
        let (sw, sh) = ((w as f32 * scale).round() as u32, (h as f32 * scale).round() as u32);
        if w == 0 || h == 0 || sw == 0 || sh == 0 {
            return Ok(*face);
        }
        let enlarged = image_ops::resize_region(img, [x0, y0, w, h], sw, sh);
        let (sx, sy) = (w as f32 / sw as f32, h as f32 / sh as f32);
        let back = |f: &Face| Face {
            bbox: [
                f.bbox[0] * sx + x0 as f32,
                f.bbox[1] * sy + y0 as f32,
                f.bbox[2] * sx + x0 as f32,
                f.bbox[3] * sy + y0 as f32,
            ],
            score: f.score,
            landmarks: f.landmarks.map(|[x, y]| [x * sx + x0 as f32, y * sy + y0 as f32]),
        };
        let found = self.detector.detect(&enlarged, REFINE_MIN_SCORE)?;
        let best = found.iter().map(back).map(|f| (iou(&f.bbox, &face.bbox), f)).max_by(|a, b| a.0.total_cmp(&b.0));
        Ok(match best {
            Some((overlap, again)) if overlap >= 0.5 => Face { landmarks: again.landmarks, ..*face },
            _ => *face,
        })
    }

    /// Regions of printed text.
    pub fn detect_text(&mut self, img: &RgbImage) -> Result<Vec<TextBox>, InferenceError> {
        self.text_detector.detect(img)
    }

    /// Reads the machine-readable zone: the (at most six) longest lines, as MRZ lines are, recognised top to bottom.
    pub fn read_mrz(&mut self, img: &RgbImage, boxes: &[TextBox]) -> Result<MrzReading, InferenceError> {
        const MIN_ASPECT: f32 = 6.0;
        let aspect = |b: &TextBox| b.length() / b.thickness().max(1.0);
        let mut candidates: Vec<&TextBox> = boxes.iter().filter(|b| aspect(b) >= MIN_ASPECT).collect();
        candidates.sort_by(|a, b| aspect(b).total_cmp(&aspect(a)));
        candidates.truncate(6);
        candidates.sort_by(|a, b| a.top().total_cmp(&b.top()));
        let mut texts = Vec::with_capacity(candidates.len());
        for line in candidates {
            texts.push(self.text_recognizer.read(img, line)?);
        }
        let lines: Vec<&str> = texts.iter().map(|t| t.as_str()).collect();
        Ok(mrz::read(&lines))
    }

    pub fn embed(&mut self, img: &RgbImage, face: &Face) -> Result<Embedding, InferenceError> {
        let face = self.refined(img, face)?;
        let size = self.recognition_layout.input_size;
        self.embedder.embed(&align_to(img, &face, size))
    }

    /// Ensemble probabilities [spoof A, real, spoof B].
    pub fn liveness(&mut self, img: &RgbImage, face: &Face) -> Result<[f32; 3], InferenceError> {
        self.liveness.probabilities(img, face)
    }

    /// Detects, gates and (when usable) embeds the main face of one photo; runs liveness on selfies. A document's
    /// presence is checked and its MRZ read (where settings allow both).
    pub fn examine(&mut self, img: &RgbImage, role: Role) -> Result<Examined, InferenceError> {
        self.examine_with(img, role, true)
    }

    /// As `examine`; a document's MRZ is read only when `wants_mrz` (the service: when the request carries data to
    /// compare it with, since reading costs several recognitions) and `pipeline.document.read_mrz` allows it.
    pub fn examine_with(&mut self, img: &RgbImage, role: Role, wants_mrz: bool) -> Result<Examined, InferenceError> {
        let min_score = match role {
            Role::Selfie | Role::Reference => self.settings.detection.selfie_min_score,
            Role::Document => self.settings.detection.document_min_score,
        };
        let mut examined = Examined {
            faces: 0,
            issues: Vec::new(),
            face: None,
            embedding: None,
            live_score: None,
            crop: None,
            text_lines: None,
            mrz: None,
        };
        let checks = self.settings.document.clone();
        let read_mrz = checks.read_mrz && wants_mrz;
        if role == Role::Document && (checks.required || read_mrz) {
            let started = std::time::Instant::now();
            let boxes = self.detect_text(img)?;
            let lines = presence::text_lines(&boxes);
            examined.text_lines = Some(lines);
            // Not a document: nothing to compare, so no face work either.
            if checks.required && !checks.document_found(lines) {
                crate::metrics::observe_stage(crate::metrics::Stage::DocumentText, started.elapsed());
                examined.issues = vec![QualityIssue::NotADocument];
                return Ok(examined);
            }
            if read_mrz {
                examined.mrz = Some(self.read_mrz(img, &boxes)?);
            }
            crate::metrics::observe_stage(crate::metrics::Stage::DocumentText, started.elapsed());
        }
        let started = std::time::Instant::now();
        let faces = self.detect(img, min_score)?;
        crate::metrics::observe_stage(crate::metrics::Stage::Detect, started.elapsed());
        let main = largest(&faces).copied();
        let mut issues = quality::face_set_issues(&faces, main.as_ref(), role, &self.settings.quality);
        examined.faces = faces.len();
        let Some(face) = main.filter(|_| issues.is_empty()) else {
            examined.issues = issues;
            return Ok(examined);
        };
        let face = self.refined(img, &face)?;
        let aligned = align(img, &face);
        issues.extend(quality::face_issues(&face, &aligned, role, &self.settings.quality));
        if role == Role::Selfie {
            let started = std::time::Instant::now();
            examined.live_score = Some(self.liveness(img, &face)?[1]);
            crate::metrics::observe_stage(crate::metrics::Stage::Liveness, started.elapsed());
        }
        let started = std::time::Instant::now();
        // The 112 crop serves the quality checks and the case; a model with another input size gets its own.
        let size = self.recognition_layout.input_size;
        let embedding = if size == ALIGNED_SIZE {
            self.embedder.embed(&aligned)?
        } else {
            self.embedder.embed(&align_to(img, &face, size))?
        };
        examined.embedding = Some(embedding);
        crate::metrics::observe_stage(crate::metrics::Stage::Embed, started.elapsed());
        examined.face = Some(face);
        examined.crop = Some(FaceCrop(aligned.into_raw()));
        examined.issues = issues;
        Ok(examined)
    }

    /// Decodes and examines one uploaded photo: one worker's share of a verification.
    pub fn examine_bytes(&mut self, bytes: &[u8], part: Part) -> Result<Examined, PipelineError> {
        self.examine_bytes_with(bytes, part, true)
    }

    /// As `examine_bytes`, reading a document's MRZ only when `wants_mrz` (see `examine_with`).
    pub fn examine_bytes_with(&mut self, bytes: &[u8], part: Part, wants_mrz: bool) -> Result<Examined, PipelineError> {
        let started = std::time::Instant::now();
        let img = decode(bytes, &self.settings.limits).map_err(|source| PipelineError::Decode { part, source })?;
        crate::metrics::observe_stage(crate::metrics::Stage::Decode, started.elapsed());
        let role = match part {
            Part::Selfie => Role::Selfie,
            Part::Document => Role::Document,
            Part::Reference => Role::Reference,
        };
        Ok(self.examine_with(&img, role, wants_mrz)?)
    }

    /// Both photos on this one pipeline, one after the other (the CLI and benches; the service examines the two
    /// photos on two workers at once).
    pub fn verify(&mut self, selfie: &[u8], document: &[u8]) -> Result<Evidence, PipelineError> {
        let started = std::time::Instant::now();
        let selfie = self.examine_bytes(selfie, Part::Selfie)?;
        let document = self.examine_bytes(document, Part::Document)?;
        crate::metrics::observe_stage(crate::metrics::Stage::Verify, started.elapsed());
        Ok(Evidence::new(selfie, document))
    }

    pub fn verify_images(&mut self, selfie: &RgbImage, document: &RgbImage) -> Result<Evidence, PipelineError> {
        let selfie = self.examine(selfie, Role::Selfie)?;
        let document = self.examine(document, Role::Document)?;
        Ok(Evidence::new(selfie, document))
    }

    /// One pass over a synthetic image so that the first real request pays no lazy initialisation.
    pub fn warm_up(&mut self) -> Result<(), InferenceError> {
        let img = RgbImage::from_fn(320, 240, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let face = Face {
            bbox: [100.0, 60.0, 220.0, 200.0],
            score: 1.0,
            landmarks: [[130.0, 110.0], [190.0, 110.0], [160.0, 140.0], [135.0, 170.0], [185.0, 170.0]],
        };
        self.detect(&img, 0.6)?;
        let line = TextBox { corners: [[10.0, 10.0], [300.0, 10.0], [300.0, 40.0], [10.0, 40.0]], score: 1.0 };
        self.detect_text(&img)?;
        self.text_recognizer.read(&img, &line)?;
        self.liveness(&img, &face)?;
        self.embed(&img, &face)?;
        Ok(())
    }
}
