//! YuNet 2023mar face detector with 5 landmarks (fixed 640x640 input).

use image::RgbImage;
use ndarray::{s, Array4};
use ort::session::Session;
use ort::value::TensorRef;

use super::face::{nms, Face};
use super::image_ops::{resize_linear, write_planar};
use super::models::InferenceError;

const INPUT: u32 = 640;
const STRIDES: [usize; 3] = [8, 16, 32];
const NMS_IOU: f32 = 0.3;

pub(crate) struct Detector {
    session: Session,
}

impl Detector {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
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
        let mut input = Array4::<f32>::zeros((1, 3, INPUT as usize, INPUT as usize));
        {
            let mut view = input.slice_mut(s![0, .., ..nh as usize, ..nw as usize]);
            write_planar(&resized, true, &mut view);
        }
        let tensor = TensorRef::from_array_view(&input).map_err(|e| InferenceError::new("yunet", e))?;
        let outputs = self.session.run(ort::inputs![tensor]).map_err(|e| InferenceError::new("yunet", e))?;
        let mut faces = Vec::new();
        for stride in STRIDES {
            let get = |name: &str| {
                outputs
                    .get(format!("{name}_{stride}"))
                    .ok_or_else(|| InferenceError::new("yunet", format!("missing output {name}_{stride}")))?
                    .try_extract_array::<f32>()
                    .map_err(|e| InferenceError::new("yunet", e))
                    .map(|a| a.iter().copied().collect::<Vec<f32>>())
            };
            let (cls, obj, bbox, kps) = (get("cls")?, get("obj")?, get("bbox")?, get("kps")?);
            decode_stride(stride, &cls, &obj, &bbox, &kps, min_score, &mut faces)?;
        }
        Ok(nms(faces, NMS_IOU).into_iter().map(|f| f.unscaled(scale)).collect())
    }
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
    let cols = INPUT as usize / stride;
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
