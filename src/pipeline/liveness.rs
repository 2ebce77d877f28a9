//! Passive liveness: MiniFASNetV2 (crop 2.7) + MiniFASNetV1SE (crop 4.0), averaged softmax, class 1 = real.

use image::RgbImage;
use ndarray::{s, Array4};
use ort::session::Session;
use ort::value::TensorRef;

use super::face::Face;
use super::image_ops::{resize_region, write_planar};
use super::models::InferenceError;

const CROP: u32 = 80;

pub(crate) struct LivenessModels {
    models: [(Session, f32); 2],
}

impl LivenessModels {
    pub(crate) fn new(v2: Session, v1se: Session) -> Self {
        Self { models: [(v2, 2.7), (v1se, 4.0)] }
    }

    /// Ensemble class probabilities [spoof A, real, spoof B].
    pub(crate) fn probabilities(&mut self, img: &RgbImage, face: &Face) -> Result<[f32; 3], InferenceError> {
        let mut mean = [0.0f32; 3];
        for (session, scale) in &mut self.models {
            let crop = silentface_crop(img, &face.bbox, *scale);
            let mut input = Array4::<f32>::zeros((1, 3, CROP as usize, CROP as usize));
            write_planar(&crop, true, &mut input.slice_mut(s![0, .., .., ..]));
            let tensor = TensorRef::from_array_view(&input).map_err(|e| InferenceError::new("minifasnet", e))?;
            let outputs = session.run(ort::inputs![tensor]).map_err(|e| InferenceError::new("minifasnet", e))?;
            let logits = outputs[0].try_extract_array::<f32>().map_err(|e| InferenceError::new("minifasnet", e))?;
            let logits: Vec<f32> = logits.iter().copied().collect();
            if logits.len() != 3 {
                return Err(InferenceError::new("minifasnet", format!("{} logits", logits.len())));
            }
            for (m, p) in mean.iter_mut().zip(softmax(&logits)) {
                *m += p / 2.0;
            }
        }
        Ok(mean)
    }
}

fn softmax(z: &[f32]) -> Vec<f32> {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = z.iter().map(|v| (v - max).exp()).collect();
    let sum: f32 = e.iter().sum();
    e.into_iter().map(|v| v / sum).collect()
}

/// Port of Silent-Face `CropImage`: the box scaled around its centre (clamped to fit), shifted inside the image,
/// cropped without padding and resized to 80x80.
fn silentface_crop(img: &RgbImage, bbox: &[f32; 4], scale: f32) -> RgbImage {
    let (sw, sh) = (img.width() as f32, img.height() as f32);
    let (x, y) = (bbox[0], bbox[1]);
    let (bw, bh) = ((bbox[2] - bbox[0]).max(1.0), (bbox[3] - bbox[1]).max(1.0));
    let scale = ((sh - 1.0) / bh).min((sw - 1.0) / bw).min(scale);
    let (nw, nh) = (bw * scale, bh * scale);
    let (cx, cy) = (bw / 2.0 + x, bh / 2.0 + y);
    let (mut l, mut t, mut r, mut b) = (cx - nw / 2.0, cy - nh / 2.0, cx + nw / 2.0, cy + nh / 2.0);
    if l < 0.0 {
        r -= l;
        l = 0.0;
    }
    if t < 0.0 {
        b -= t;
        t = 0.0;
    }
    if r > sw - 1.0 {
        l -= r - sw + 1.0;
        r = sw - 1.0;
    }
    if b > sh - 1.0 {
        t -= b - sh + 1.0;
        b = sh - 1.0;
    }
    // Python's int() truncates toward zero; the slice [t:b+1, l:r+1] is then clamped to the image.
    let clamp = |v: f32, max: f32| (v.trunc().max(0.0)).min(max) as u32;
    let (l, t) = (clamp(l, sw - 1.0), clamp(t, sh - 1.0));
    let (r, b) = (clamp(r, sw - 1.0), clamp(b, sh - 1.0));
    let (w, h) = ((r.saturating_sub(l)) + 1, (b.saturating_sub(t)) + 1);
    resize_region(img, [l, t, w, h], CROP, CROP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_is_stable_for_large_logits() {
        let p = softmax(&[1000.0, 1001.0, 999.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(p[1] > p[0] && p[0] > p[2]);
    }

    #[test]
    fn crop_near_the_border_stays_inside_the_image() {
        let img = RgbImage::new(100, 60);
        let crop = silentface_crop(&img, &[80.0, 40.0, 99.0, 59.0], 4.0);
        assert_eq!(crop.dimensions(), (CROP, CROP));
    }

    #[test]
    fn degenerate_box_does_not_panic() {
        let img = RgbImage::new(10, 10);
        let crop = silentface_crop(&img, &[5.0, 5.0, 5.0, 5.0], 2.7);
        assert_eq!(crop.dimensions(), (CROP, CROP));
    }
}
