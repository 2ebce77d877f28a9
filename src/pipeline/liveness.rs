//! Passive liveness: MiniFASNetV2 (crop 2.7) + MiniFASNetV1SE (crop 4.0), averaged softmax, class 1 = real.

use image::RgbImage;
use ort::session::Session;
use zeroize::Zeroize;

use super::batch::{BatchModel, Runner};
use super::face::Face;
use super::image_ops::resize_region;
use super::models::{
    open_shaped_session, run_on_pictures, GraphShape, InferenceError, ModelError, ModelFiles, SessionOptions,
};
use ort::environment::Environment;

const CROP: u32 = 80;
/// The crop scale of each model, in the order of `LivenessModel::sessions`.
const SCALES: [f32; 2] = [2.7, 4.0];

/// One face's two crops (RGB bytes, 80x80), one per model.
pub struct LivenessCrops([RgbImage; 2]);

/// MiniFASNetV2 and V1SE, each a session whose graph reads `[N, 80, 80, 3]` bytes.
pub struct LivenessModel {
    sessions: [Session; 2],
}

impl LivenessModel {
    /// MiniFASNetV2 and V1SE from `files`, reading bytes, with a batch dimension when `batched`.
    pub(crate) fn open(
        env: &Environment,
        files: &ModelFiles,
        opts: &SessionOptions,
        batched: bool,
    ) -> Result<Self, ModelError> {
        let open = |path| open_shaped_session(env, path, opts, GraphShape::bgr_bytes(batched));
        Ok(Self { sessions: [open(&files.liveness_v2)?, open(&files.liveness_v1se)?] })
    }
}

impl BatchModel for LivenessModel {
    type Sample = LivenessCrops;
    /// Ensemble class probabilities [spoof A, real, spoof B].
    type Output = [f32; 3];
    const NAME: &'static str = "minifasnet";

    fn blank(&self) -> LivenessCrops {
        LivenessCrops([RgbImage::new(CROP, CROP), RgbImage::new(CROP, CROP)])
    }

    fn run(&mut self, samples: &[&LivenessCrops]) -> Result<Vec<[f32; 3]>, InferenceError> {
        let err = |e: &dyn std::fmt::Display| InferenceError::new(Self::NAME, e);
        let n = samples.len();
        let mut means = vec![[0.0f32; 3]; n];
        for (k, session) in self.sessions.iter_mut().enumerate() {
            let crops: Vec<&[u8]> = samples.iter().map(|s| s.0[k].as_raw().as_slice()).collect();
            let side = CROP as usize;
            let outputs = run_on_pictures(session, Self::NAME, &crops, (side, side))?;
            let logits = outputs[0].try_extract_array::<f32>().map_err(|e| err(&e))?;
            let logits: Vec<f32> = logits.iter().copied().collect();
            if logits.len() != 3 * n {
                return Err(err(&format!("{} logits for {n} faces", logits.len())));
            }
            for (mean, z) in means.iter_mut().zip(logits.chunks_exact(3)) {
                for (m, p) in mean.iter_mut().zip(softmax(z)) {
                    *m += p / 2.0;
                }
            }
        }
        Ok(means)
    }

    fn scrub(sample: LivenessCrops) {
        for crop in sample.0 {
            crop.into_raw().zeroize();
        }
    }
}

pub(crate) struct Liveness {
    runner: Runner<LivenessModel>,
}

impl Liveness {
    pub(crate) fn new(runner: Runner<LivenessModel>) -> Self {
        Self { runner }
    }

    /// Ensemble class probabilities [spoof A, real, spoof B].
    pub(crate) fn probabilities(&mut self, img: &RgbImage, face: &Face) -> Result<[f32; 3], InferenceError> {
        let crops = SCALES.map(|scale| silentface_crop(img, &face.bbox, scale));
        self.runner.run(LivenessCrops(crops))
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
