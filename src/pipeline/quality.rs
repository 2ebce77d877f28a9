//! The quality gate: which faces are fit to compare. Cheap geometric checks from the landmarks plus a blur
//! measure on the aligned crop (no dedicated quality model is licensable here; see models/README).

use image::RgbImage;
use serde::Deserialize;

use super::face::Face;

/// Which photo a face comes from; the selfie is held to stricter rules than the document portrait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Selfie,
    Document,
    /// The state database's portrait (ЦОИД / FinID) that the lender's back end fetched: a clean portrait, detected
    /// and gated like a selfie (one person, the selfie's detector score), but with the document's smaller minimum
    /// eye distance, since archive portraits are small files; no liveness, no document-presence check.
    Reference,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QualityIssue {
    /// A document photo that shows no document (`document::presence`); its face is not examined.
    NotADocument,
    NoFace,
    MultipleFaces,
    FaceTooSmall,
    ExtremePose,
    Blurry,
}

#[derive(Debug, Clone, Deserialize)]
pub struct QualityLimits {
    /// Minimum eye distance in original pixels, selfie and document.
    pub selfie_min_eye_distance: f32,
    pub document_min_eye_distance: f32,
    /// |nose offset from the eye midpoint| / eye distance: a yaw proxy.
    pub max_yaw_ratio: f32,
    /// Eye-line angle, degrees.
    pub max_roll_degrees: f32,
    /// Variance of the Laplacian of the aligned grey crop.
    pub min_sharpness: f32,
    /// A second selfie face at least this fraction of the main face's area counts as another person.
    pub second_face_area_ratio: f32,
}

/// The values of config/default.toml (the one source of defaults), for tools and tests that need no settings file;
/// `config::tests` keeps them equal.
impl Default for QualityLimits {
    fn default() -> Self {
        Self {
            selfie_min_eye_distance: 30.0,
            document_min_eye_distance: 16.0,
            max_yaw_ratio: 0.35,
            max_roll_degrees: 35.0,
            min_sharpness: 10.0,
            second_face_area_ratio: 0.25,
        }
    }
}

/// Issues that concern the face set as a whole: none found, or a second person on a selfie.
pub fn face_set_issues(faces: &[Face], main: Option<&Face>, role: Role, limits: &QualityLimits) -> Vec<QualityIssue> {
    let Some(main) = main else {
        return vec![QualityIssue::NoFace];
    };
    let min_area = limits.second_face_area_ratio * main.area();
    let one_person = matches!(role, Role::Selfie | Role::Reference);
    if one_person && faces.iter().any(|f| f != main && f.area() >= min_area) {
        return vec![QualityIssue::MultipleFaces];
    }
    Vec::new()
}

/// Issues of the chosen face: size, pose and blur.
pub fn face_issues(face: &Face, aligned: &RgbImage, role: Role, limits: &QualityLimits) -> Vec<QualityIssue> {
    let mut issues = Vec::new();
    let eye_distance = face.inter_ocular();
    let min = match role {
        Role::Selfie => limits.selfie_min_eye_distance,
        Role::Document | Role::Reference => limits.document_min_eye_distance,
    };
    if eye_distance < min {
        issues.push(QualityIssue::FaceTooSmall);
    }
    if yaw_ratio(face) > limits.max_yaw_ratio || roll_degrees(face).abs() > limits.max_roll_degrees {
        issues.push(QualityIssue::ExtremePose);
    }
    if sharpness(aligned) < limits.min_sharpness {
        issues.push(QualityIssue::Blurry);
    }
    issues
}

pub fn yaw_ratio(face: &Face) -> f32 {
    let [l, r, nose] = [face.landmarks[0], face.landmarks[1], face.landmarks[2]];
    let mid = (l[0] + r[0]) / 2.0;
    (nose[0] - mid).abs() / face.inter_ocular().max(1e-3)
}

pub fn roll_degrees(face: &Face) -> f32 {
    let [l, r] = [face.landmarks[0], face.landmarks[1]];
    (r[1] - l[1]).atan2(r[0] - l[0]).to_degrees()
}

/// Variance of the 4-neighbour Laplacian over the grey image.
pub fn sharpness(img: &RgbImage) -> f32 {
    let (w, h) = img.dimensions();
    if w < 3 || h < 3 {
        return 0.0;
    }
    let grey = |x: u32, y: u32| {
        let [r, g, b] = img.get_pixel(x, y).0;
        0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b)
    };
    let (mut sum, mut sum_sq, mut n) = (0.0, 0.0, 0.0);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let lap = grey(x - 1, y) + grey(x + 1, y) + grey(x, y - 1) + grey(x, y + 1) - 4.0 * grey(x, y);
            sum += lap;
            sum_sq += lap * lap;
            n += 1.0;
        }
    }
    let mean = sum / n;
    (sum_sq / n - mean * mean) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn frontal(scale: f32) -> Face {
        Face {
            bbox: [0.0, 0.0, 100.0 * scale, 120.0 * scale],
            score: 0.9,
            landmarks: [[30.0, 40.0], [70.0, 40.0], [50.0, 60.0], [35.0, 80.0], [65.0, 80.0]]
                .map(|[x, y]| [x * scale, y * scale]),
        }
    }

    fn checkerboard() -> RgbImage {
        RgbImage::from_fn(112, 112, |x, y| if (x / 4 + y / 4) % 2 == 0 { Rgb([255; 3]) } else { Rgb([0; 3]) })
    }

    #[test]
    fn a_large_frontal_sharp_face_passes() {
        let issues = face_issues(&frontal(2.0), &checkerboard(), Role::Selfie, &QualityLimits::default());
        assert!(issues.is_empty(), "{issues:?}");
    }

    #[test]
    fn small_turned_and_flat_faces_are_flagged() {
        let limits = QualityLimits::default();
        let small = frontal(0.5);
        assert!(face_issues(&small, &checkerboard(), Role::Selfie, &limits).contains(&QualityIssue::FaceTooSmall));
        assert!(!face_issues(&small, &checkerboard(), Role::Document, &limits).contains(&QualityIssue::FaceTooSmall));
        let mut turned = frontal(2.0);
        turned.landmarks[2][0] += 40.0;
        assert!(face_issues(&turned, &checkerboard(), Role::Selfie, &limits).contains(&QualityIssue::ExtremePose));
        let flat = RgbImage::from_pixel(112, 112, Rgb([128; 3]));
        assert!(face_issues(&frontal(2.0), &flat, Role::Selfie, &limits).contains(&QualityIssue::Blurry));
    }

    #[test]
    fn a_second_large_face_matters_on_selfies_only() {
        let limits = QualityLimits::default();
        let faces = [frontal(2.0), frontal(1.5)];
        let main = Some(&faces[0]);
        assert_eq!(face_set_issues(&faces, main, Role::Selfie, &limits), vec![QualityIssue::MultipleFaces]);
        assert!(face_set_issues(&faces, main, Role::Document, &limits).is_empty());
        let tiny_bystander = [frontal(2.0), frontal(0.3)];
        assert!(face_set_issues(&tiny_bystander, Some(&tiny_bystander[0]), Role::Selfie, &limits).is_empty());
        assert_eq!(face_set_issues(&[], None, Role::Document, &limits), vec![QualityIssue::NoFace]);
    }
}
