//! YuNet 2023mar face detector with 5 landmarks (fixed 640x640 input). The photo is resized to fit 640x640 and
//! put in the top-left corner of a black square (the letterbox), which the graph reads as bytes
//! (`onnx_graph::with_image_input`); whole batches of letterboxes go through one run when a batcher gathers them
//! (`models.detect_batch`).

use image::RgbImage;
use ort::session::Session;
use zeroize::Zeroize;

use super::batch::{BatchModel, Runner};
use super::face::{nms, Face};
use super::image_ops::resize_linear;
use super::models::{
    open_shaped_session, run_on_pictures, GraphShape, InferenceError, ModelError, ModelFiles, SessionOptions,
};
use ort::environment::Environment;

const INPUT: u32 = 640;
const SIDE: usize = INPUT as usize;
const LETTERBOX_BYTES: usize = SIDE * SIDE * 3;
const STRIDES: [usize; 3] = [8, 16, 32];
const NMS_IOU: f32 = 0.3;

/// A photo resized into the detector's square (RGB bytes, row by row), and the score a face must beat.
pub struct Letterbox {
    pixels: Vec<u8>,
    min_score: f32,
}

/// YuNet over letterboxes: one session whose graph reads `[N, 640, 640, 3]` bytes.
pub struct DetectModel {
    session: Session,
}

impl DetectModel {
    /// YuNet from `files`, reading bytes, with a batch dimension when `batched`.
    pub(crate) fn open(
        env: &Environment,
        files: &ModelFiles,
        opts: &SessionOptions,
        batched: bool,
    ) -> Result<Self, ModelError> {
        Ok(Self { session: open_shaped_session(env, &files.detection, opts, GraphShape::bgr_bytes(batched))? })
    }
}

impl BatchModel for DetectModel {
    type Sample = Letterbox;
    /// The faces found, after NMS, in letterbox pixels.
    type Output = Vec<Face>;
    const NAME: &'static str = "yunet";

    fn blank(&self) -> Letterbox {
        Letterbox { pixels: vec![0; LETTERBOX_BYTES], min_score: 1.0 }
    }

    fn run(&mut self, samples: &[&Letterbox]) -> Result<Vec<Vec<Face>>, InferenceError> {
        let err = |e: &dyn std::fmt::Display| InferenceError::new(Self::NAME, e);
        let n = samples.len();
        let pictures: Vec<&[u8]> = samples.iter().map(|s| &s.pixels[..]).collect();
        let outputs = run_on_pictures(&mut self.session, Self::NAME, &pictures, (SIDE, SIDE))?;
        let mut faces: Vec<Vec<Face>> = (0..n).map(|_| Vec::new()).collect();
        for stride in STRIDES {
            let get = |name: &str| {
                outputs
                    .get(format!("{name}_{stride}"))
                    .ok_or_else(|| err(&format!("missing output {name}_{stride}")))?
                    .try_extract_array::<f32>()
                    .map_err(|e| err(&e))
                    .map(|a| a.iter().copied().collect::<Vec<f32>>())
            };
            let (cls, obj, bbox, kps) = (get("cls")?, get("obj")?, get("bbox")?, get("kps")?);
            let anchors = (SIDE / stride) * (SIDE / stride);
            let sizes = [cls.len(), obj.len(), bbox.len(), kps.len()];
            if sizes != [n * anchors, n * anchors, n * anchors * 4, n * anchors * 10] {
                return Err(err(&format!("unexpected output sizes at stride {stride}")));
            }
            for (i, (sample, found)) in samples.iter().zip(faces.iter_mut()).enumerate() {
                let (cls, obj) = (nth(&cls, i, anchors), nth(&obj, i, anchors));
                let (bbox, kps) = (nth(&bbox, i, anchors * 4), nth(&kps, i, anchors * 10));
                decode_stride(stride, cls, obj, bbox, kps, sample.min_score, found)?;
            }
        }
        Ok(faces.into_iter().map(|f| nms(f, NMS_IOU)).collect())
    }

    fn scrub(mut sample: Letterbox) {
        sample.pixels.zeroize();
    }
}

pub(crate) struct Detector {
    runner: Runner<DetectModel>,
}

impl Detector {
    pub(crate) fn new(runner: Runner<DetectModel>) -> Self {
        Self { runner }
    }

    /// All faces scoring above `min_score`, after NMS, in original-image pixels.
    pub(crate) fn detect(&mut self, img: &RgbImage, min_score: f32) -> Result<Vec<Face>, InferenceError> {
        let (w, h) = img.dimensions();
        if w == 0 || h == 0 {
            return Ok(Vec::new());
        }
        let scale = (INPUT as f32 / w as f32).min(INPUT as f32 / h as f32);
        let nw = ((w as f32 * scale).round() as u32).clamp(1, INPUT);
        let nh = ((h as f32 * scale).round() as u32).clamp(1, INPUT);
        let resized = resize_linear(img, nw, nh);
        let mut pixels = vec![0u8; LETTERBOX_BYTES];
        let row = nw as usize * 3;
        for (dst, src) in pixels.chunks_exact_mut(SIDE * 3).zip(resized.as_raw().chunks_exact(row)) {
            dst[..row].copy_from_slice(src);
        }
        resized.into_raw().zeroize();
        let faces = self.runner.run(Letterbox { pixels, min_score })?;
        Ok(faces.into_iter().map(|f| f.unscaled(scale)).collect())
    }
}

/// The `i`th run of `len` values of `all` (empty when there is none: `decode_stride` then refuses it).
fn nth(all: &[f32], i: usize, len: usize) -> &[f32] {
    all.get(i * len..(i + 1) * len).unwrap_or_default()
}

/// Decodes one stride's anchors (row-major over the (640/s)^2 grid) as the reference does.
fn decode_stride(
    stride: usize,
    cls: &[f32],
    obj: &[f32],
    bbox: &[f32],
    kps: &[f32],
    min_score: f32,
    out: &mut Vec<Face>,
) -> Result<(), InferenceError> {
    let cols = SIDE / stride;
    let anchors = cols * cols;
    if cls.len() != anchors || obj.len() != anchors || bbox.len() != anchors * 4 || kps.len() != anchors * 10 {
        return Err(InferenceError::new("yunet", format!("unexpected output sizes at stride {stride}")));
    }
    let s = stride as f32;
    for i in 0..anchors {
        let score = (cls[i].clamp(0.0, 1.0) * obj[i].clamp(0.0, 1.0)).sqrt();
        if score <= min_score {
            continue;
        }
        let (row, col) = ((i / cols) as f32, (i % cols) as f32);
        let b = &bbox[i * 4..i * 4 + 4];
        let (cx, cy) = ((col + b[0]) * s, (row + b[1]) * s);
        let (bw, bh) = (b[2].exp() * s, b[3].exp() * s);
        let k = &kps[i * 10..i * 10 + 10];
        let landmarks = std::array::from_fn(|j| [(col + k[2 * j]) * s, (row + k[2 * j + 1]) * s]);
        out.push(Face { bbox: [cx - bw / 2.0, cy - bh / 2.0, cx + bw / 2.0, cy + bh / 2.0], score, landmarks });
    }
    Ok(())
}
