//! 5-point similarity alignment to the ArcFace 112x112 template (what SFace expects), or to the same template
//! scaled to another recognition model's input size.

use image::RgbImage;

use super::face::Face;
use super::image_ops::{warp_affine, Affine};

pub const ALIGNED_SIZE: u32 = 112;

const ARCFACE_TEMPLATE: [[f64; 2]; 5] =
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]];

/// Least-squares similarity transform (rotation, uniform scale, translation) taking `src` onto `dst`.
/// In 2-D this closed form (complex least squares) equals Umeyama's estimate, which the reference uses.
pub(crate) fn similarity(src: &[[f64; 2]; 5], dst: &[[f64; 2]; 5]) -> Affine {
    let n = src.len() as f64;
    let mean = |pts: &[[f64; 2]; 5]| {
        let (sx, sy) = pts.iter().fold((0.0, 0.0), |(ax, ay), p| (ax + p[0], ay + p[1]));
        [sx / n, sy / n]
    };
    let (ms, md) = (mean(src), mean(dst));
    let (mut re, mut im, mut var) = (0.0, 0.0, 0.0);
    for (s, d) in src.iter().zip(dst) {
        let (sx, sy) = (s[0] - ms[0], s[1] - ms[1]);
        let (dx, dy) = (d[0] - md[0], d[1] - md[1]);
        re += sx * dx + sy * dy;
        im += sx * dy - sy * dx;
        var += sx * sx + sy * sy;
    }
    if var <= f64::EPSILON {
        return Affine { m: [[0.0; 3]; 2] };
    }
    let (a, b) = (re / var, im / var);
    Affine { m: [[a, -b, md[0] - (a * ms[0] - b * ms[1])], [b, a, md[1] - (b * ms[0] + a * ms[1])]] }
}

/// The 112x112 aligned face crop (quality checks, case crops, SFace).
pub fn align(img: &RgbImage, face: &Face) -> RgbImage {
    align_to(img, face, ALIGNED_SIZE)
}

/// The face aligned to the ArcFace template scaled to `size` x `size`.
pub fn align_to(img: &RgbImage, face: &Face, size: u32) -> RgbImage {
    let src = face.landmarks.map(|[x, y]| [f64::from(x), f64::from(y)]);
    let scale = f64::from(size) / f64::from(ALIGNED_SIZE);
    let dst = ARCFACE_TEMPLATE.map(|[x, y]| [x * scale, y * scale]);
    warp_affine(img, &similarity(&src, &dst), size, size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(m: &Affine, p: [f64; 2]) -> [f64; 2] {
        [m.m[0][0] * p[0] + m.m[0][1] * p[1] + m.m[0][2], m.m[1][0] * p[0] + m.m[1][1] * p[1] + m.m[1][2]]
    }

    #[test]
    fn recovers_a_known_similarity_exactly() {
        let (scale, angle, tx, ty) = (2.5_f64, 0.3_f64, 40.0, -12.0);
        let (c, s) = (scale * angle.cos(), scale * angle.sin());
        let src = ARCFACE_TEMPLATE.map(|[x, y]| [c * x - s * y + tx, s * x + c * y + ty]);
        let m = similarity(&src, &ARCFACE_TEMPLATE);
        for (p, want) in src.iter().zip(ARCFACE_TEMPLATE) {
            let got = apply(&m, *p);
            assert!((got[0] - want[0]).abs() < 1e-9 && (got[1] - want[1]).abs() < 1e-9);
        }
    }

    #[test]
    fn a_larger_input_is_the_same_alignment_scaled() {
        let img =
            RgbImage::from_fn(300, 300, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 256) as u8]));
        let landmarks = [[120.0, 130.0], [180.0, 128.0], [150.0, 165.0], [128.0, 200.0], [176.0, 199.0]];
        let face = Face { score: 0.9, bbox: [90.0, 90.0, 210.0, 240.0], landmarks };
        assert_eq!(align_to(&img, &face, ALIGNED_SIZE), align(&img, &face));
        let (small, large) = (align(&img, &face), align_to(&img, &face, 224));
        assert_eq!(large.dimensions(), (224, 224));
        // Pixel (x, y) of the 112 crop samples where pixel (2x, 2y) of the 224 crop does: the same source point.
        let close = (10..100).step_by(7).all(|p| {
            let (a, b) = (small.get_pixel(p, p).0, large.get_pixel(2 * p, 2 * p).0);
            a.iter().zip(b).all(|(u, v)| u.abs_diff(v) <= 1)
        });
        assert!(close);
    }

    #[test]
    fn collapsed_landmarks_do_not_panic() {
        let m = similarity(&[[5.0, 5.0]; 5], &ARCFACE_TEMPLATE);
        assert_eq!(m.m, [[0.0; 3]; 2]);
    }
}
