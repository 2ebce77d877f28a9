//! 5-point similarity alignment to the ArcFace 112x112 template (what SFace expects).

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

/// The 112x112 aligned face crop.
pub fn align(img: &RgbImage, face: &Face) -> RgbImage {
    let src = face.landmarks.map(|[x, y]| [f64::from(x), f64::from(y)]);
    warp_affine(img, &similarity(&src, &ARCFACE_TEMPLATE), ALIGNED_SIZE, ALIGNED_SIZE)
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
    fn collapsed_landmarks_do_not_panic() {
        let m = similarity(&[[5.0, 5.0]; 5], &ARCFACE_TEMPLATE);
        assert_eq!(m.m, [[0.0; 3]; 2]);
    }
}
