//! PP-OCRv4 text detection (DBNet, from the rapidocr-onnxruntime wheel): where the lines of printed text are.
//! Used to tell an identity document (many short lines of text around a small portrait) from a plain photo.
//!
//! Pre- and post-processing follow PaddleOCR's `DBPostProcess` as rapidocr configures it: the image scaled so its
//! longer side is at most `MAX_SIDE` with both sides multiples of 32, BGR, `(v / 255 - 0.5) / 0.5`; the probability
//! map thresholded at 0.3; each connected region kept when its mean probability is at least 0.5 and it is at least
//! 3 px on its short side; the box grown back by the unclip ratio 1.6 (DBNet predicts shrunk text kernels).
//! Boxes are axis-aligned: counting and locating lines needs no rotated rectangles.

use image::RgbImage;
use ndarray::Array4;
use ort::session::Session;
use ort::value::TensorRef;

use super::image_ops::resize_linear;
use super::models::InferenceError;

const MAX_SIDE: u32 = 640;
const BINARY_THRESHOLD: f32 = 0.3;
const BOX_THRESHOLD: f32 = 0.5;
const MIN_SIDE_PX: usize = 3;
const UNCLIP_RATIO: f32 = 1.6;

/// One region of text in original-image pixels: an oriented rectangle (text lines on a photographed card are
/// rarely level), its corners in reading order (top-left, top-right, bottom-right, bottom-left).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextBox {
    pub corners: [[f32; 2]; 4],
    pub score: f32,
}

impl TextBox {
    /// Along the line.
    pub fn length(&self) -> f32 {
        distance(self.corners[0], self.corners[1])
    }

    /// Across the line.
    pub fn thickness(&self) -> f32 {
        distance(self.corners[0], self.corners[3])
    }

    /// Top of the box (smallest y of its corners).
    pub fn top(&self) -> f32 {
        self.corners.iter().map(|c| c[1]).fold(f32::INFINITY, f32::min)
    }

    fn scaled(self, sx: f32, sy: f32) -> Self {
        Self { corners: self.corners.map(|[x, y]| [x * sx, y * sy]), score: self.score }
    }
}

fn distance(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

pub(crate) struct TextDetector {
    session: Session,
}

impl TextDetector {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    pub(crate) fn detect(&mut self, img: &RgbImage) -> Result<Vec<TextBox>, InferenceError> {
        let (w, h) = img.dimensions();
        if w == 0 || h == 0 {
            return Ok(Vec::new());
        }
        let (nw, nh) = input_size(w, h);
        let resized = shrink(img, nw, nh);
        let mut input = Array4::<f32>::zeros((1, 3, nh as usize, nw as usize));
        for (x, y, p) in resized.enumerate_pixels() {
            let [r, g, b] = p.0;
            for (c, v) in [b, g, r].into_iter().enumerate() {
                input[[0, c, y as usize, x as usize]] = f32::from(v) / 127.5 - 1.0;
            }
        }
        let tensor = TensorRef::from_array_view(&input).map_err(|e| InferenceError::new("ppocr_det", e))?;
        let outputs = self.session.run(ort::inputs![tensor]).map_err(|e| InferenceError::new("ppocr_det", e))?;
        let map = outputs[0].try_extract_array::<f32>().map_err(|e| InferenceError::new("ppocr_det", e))?;
        let probs: Vec<f32> = map.iter().copied().collect();
        if probs.len() != (nw * nh) as usize {
            return Err(InferenceError::new("ppocr_det", format!("unexpected output size {}", probs.len())));
        }
        let (sx, sy) = (w as f32 / nw as f32, h as f32 / nh as f32);
        Ok(regions(&probs, nw as usize, nh as usize).into_iter().map(|b| b.scaled(sx, sy)).collect())
    }
}

/// The network's input size: longer side at most `MAX_SIDE`, both sides rounded to multiples of 32 (at least 32).
fn input_size(w: u32, h: u32) -> (u32, u32) {
    let scale = (MAX_SIDE as f32 / w.max(h) as f32).min(1.0);
    let round32 = |v: u32| (((v as f32 * scale) / 32.0).round() as u32).max(1) * 32;
    (round32(w), round32(h))
}

/// Downscales by 2x2 averaging while the image is at least twice the target, then bilinearly: a direct bilinear
/// shrink of a 12-megapixel phone photo would alias small print away.
fn shrink(img: &RgbImage, w: u32, h: u32) -> RgbImage {
    let mut current: Option<RgbImage> = None;
    loop {
        let src = current.as_ref().unwrap_or(img);
        if src.width() < 2 * w || src.height() < 2 * h {
            return resize_linear(src, w, h);
        }
        let half = resize_linear(src, src.width() / 2, src.height() / 2);
        current = Some(half);
    }
}

/// Connected regions (8-neighbour) of the thresholded probability map, scored and unclipped, in map pixels.
/// Each region's orientation is its principal axis (what OpenCV's `minAreaRect` gives for a line of text).
fn regions(probs: &[f32], w: usize, h: usize) -> Vec<TextBox> {
    let mut seen = vec![false; probs.len()];
    let mut stack = Vec::new();
    let mut pixels = Vec::new();
    let mut out = Vec::new();
    for start in 0..probs.len() {
        if seen[start] || probs[start] <= BINARY_THRESHOLD {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        pixels.clear();
        while let Some(i) = stack.pop() {
            pixels.push(i);
            let (x, y) = (i % w, i / w);
            for dy in -1i64..=1 {
                for dx in -1i64..=1 {
                    let (nx, ny) = (x as i64 + dx, y as i64 + dy);
                    if nx < 0 || ny < 0 || nx >= w as i64 || ny >= h as i64 {
                        continue;
                    }
                    let j = ny as usize * w + nx as usize;
                    if !seen[j] && probs[j] > BINARY_THRESHOLD {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
        }
        let score = pixels.iter().map(|&i| probs[i]).sum::<f32>() / pixels.len() as f32;
        if score < BOX_THRESHOLD {
            continue;
        }
        if let Some(b) = oriented_box(&pixels, w, score) {
            out.push(b);
        }
    }
    out
}

/// The region's oriented rectangle, grown by DBNet's unclip (area * ratio / perimeter on every side); `None` when
/// it is thinner than `MIN_SIDE_PX`.
fn oriented_box(pixels: &[usize], w: usize, score: f32) -> Option<TextBox> {
    let n = pixels.len() as f64;
    let at = |i: usize| ((i % w) as f64 + 0.5, (i / w) as f64 + 0.5);
    let (mx, my) = pixels.iter().map(|&i| at(i)).fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x, sy + y));
    let (mx, my) = (mx / n, my / n);
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for &i in pixels {
        let (x, y) = at(i);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
        sxy += (x - mx) * (y - my);
    }
    let theta = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    let (u, v) = ((theta.cos(), theta.sin()), (-theta.sin(), theta.cos()));
    let (mut u0, mut u1, mut v0, mut v1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &i in pixels {
        let (x, y) = at(i);
        let (pu, pv) = ((x - mx) * u.0 + (y - my) * u.1, (x - mx) * v.0 + (y - my) * v.1);
        (u0, u1, v0, v1) = (u0.min(pu), u1.max(pu), v0.min(pv), v1.max(pv));
    }
    // Pixel centres span one pixel less than the pixels themselves.
    let (len, thick) = (u1 - u0 + 1.0, v1 - v0 + 1.0);
    if len.min(thick) < MIN_SIDE_PX as f64 {
        return None;
    }
    let d = len * thick * f64::from(UNCLIP_RATIO) / (2.0 * (len + thick));
    let (u0, u1, v0, v1) = (u0 - 0.5 - d, u1 + 0.5 + d, v0 - 0.5 - d, v1 + 0.5 + d);
    let corner = |a: f64, b: f64| [(mx + a * u.0 + b * v.0) as f32, (my + a * u.1 + b * v.1) as f32];
    Some(TextBox { corners: [corner(u0, v0), corner(u1, v0), corner(u1, v1), corner(u0, v1)], score })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_sizes_are_multiples_of_32_within_the_limit() {
        assert_eq!(input_size(793, 536), (640, 448));
        assert_eq!(input_size(4000, 3000), (640, 480));
        assert_eq!(input_size(10, 10), (32, 32));
        let (w, h) = input_size(12000, 40);
        assert!(w <= MAX_SIDE + 16 && h == 32, "{w}x{h}");
    }

    #[test]
    fn regions_are_separated_scored_and_unclipped() {
        let (w, h) = (40, 20);
        let mut probs = vec![0.0f32; w * h];
        // A 10x4 line of confident text, a faint blob, and a 2 px sliver.
        for y in 2..6 {
            for x in 5..15 {
                probs[y * w + x] = 0.9;
            }
        }
        for y in 10..16 {
            for x in 20..30 {
                probs[y * w + x] = 0.35;
            }
        }
        for y in 10..12 {
            for x in 2..12 {
                probs[y * w + x] = 0.9;
            }
        }
        let found = regions(&probs, w, h);
        assert_eq!(found.len(), 1, "{found:?}");
        let d = 10.0 * 4.0 * UNCLIP_RATIO / 28.0;
        let [tl, _, br, _] = found[0].corners;
        assert!((tl[0] - (5.0 - d)).abs() < 1e-4 && (tl[1] - (2.0 - d)).abs() < 1e-4, "{tl:?}");
        assert!((br[0] - (15.0 + d)).abs() < 1e-4 && (br[1] - (6.0 + d)).abs() < 1e-4, "{br:?}");
        assert!((found[0].length() - (10.0 + 2.0 * d)).abs() < 1e-4);
        assert!((found[0].score - 0.9).abs() < 1e-6);
    }

    #[test]
    fn a_tilted_line_gets_a_tilted_box_in_reading_order() {
        let (w, h) = (120, 60);
        let mut probs = vec![0.0f32; w * h];
        // A line 80 px long, 5 px thick, rising 10 degrees to the right.
        let (sin, cos) = (-10f32).to_radians().sin_cos();
        for t in 0..800 {
            for s in 0..50 {
                let (a, b) = (t as f32 / 10.0, s as f32 / 10.0);
                let (x, y) = (20.0 + a * cos - b * sin, 40.0 + a * sin + b * cos);
                probs[y as usize * w + x as usize] = 0.9;
            }
        }
        let found = regions(&probs, w, h);
        assert_eq!(found.len(), 1);
        let [tl, tr, _, bl] = found[0].corners;
        let angle = (tr[1] - tl[1]).atan2(tr[0] - tl[0]).to_degrees();
        assert!((angle + 10.0).abs() < 1.5, "angle {angle}");
        assert!(tl[0] < tr[0] && tl[1] < bl[1], "reading order: {:?}", found[0].corners);
        assert!(found[0].length() > 5.0 * found[0].thickness(), "unclipped 80 x 5");
    }

    #[test]
    fn shrinking_halves_first_then_resizes_to_the_exact_size() {
        let img = RgbImage::from_fn(1000, 500, |x, _| image::Rgb([(x % 2 * 255) as u8, 0, 0]));
        let out = shrink(&img, 96, 64);
        assert_eq!(out.dimensions(), (96, 64));
        // Alternating columns average to mid-grey instead of aliasing to black or red.
        assert!(out.pixels().all(|p| (100..=155).contains(&p.0[0])), "{:?}", out.get_pixel(0, 0));
    }
}
