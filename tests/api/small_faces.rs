//! Small faces (issue 14, item 2): `Pipeline::refined` finds a small face's landmarks again in its region enlarged
//! (`pipeline.detection.refine_landmarks_below`, off by default). A large face's landmarks, scaled down with the
//! photo, are the truth the small face's landmarks are held to. Measured with this test at several sizes
//! (docs/accuracy.md): the second look comes closer below about 24 px between the eyes and goes further off at
//! 32 px, so the test holds it to the sizes where it helps.

use faceverify::pipeline::testing::resize;
use faceverify::pipeline::{largest, ModelFiles, Pipeline};

use crate::helpers::{face, require_shared, settings};

/// Large, frontal faces of pairs.csv (their eyes 100+ px apart).
const PHOTOS: &[&str] = &[
    "images/deepface/img1.jpg",
    "images/deepface/img3.jpg",
    "images/deepface/img16.jpg",
    "images/deepface/img20.jpg",
    "images/deepface/img53.jpg",
];

fn pipeline(refine_below: f32) -> Pipeline {
    let mut s = settings();
    s.pipeline.detection.refine_landmarks_below = refine_below;
    let files = ModelFiles::verified(&s.models.dir).expect("models");
    Pipeline::load(&files, &s.models.dylib(), &s.models.session_options(), s.pipeline.clone()).expect("pipeline")
}

#[test]
fn landmarks_of_a_tiny_face_found_again_come_closer_to_the_truth() {
    let shared = require_shared!();
    let mut plain = pipeline(0.0);
    let mut refining = pipeline(80.0);
    // Eye distances of a document portrait in a phone photo at its smallest (the document floor is 16 px).
    for small_eyes in [14.0f32, 20.0] {
        let (coarse, refined) = landmark_errors(&shared, &mut plain, &mut refining, small_eyes);
        eprintln!(
            "mean landmark error at {small_eyes} px between the eyes: {coarse:.2} px first look, {refined:.2} refined"
        );
        assert!(refined < coarse, "at {small_eyes} px: refined {refined:.2} px vs first look {coarse:.2} px");
    }
}

/// Mean landmark error (pixels) of the first look and of the refined one, the photos scaled to `small_eyes`.
fn landmark_errors(
    shared: &std::path::Path,
    plain: &mut Pipeline,
    refining: &mut Pipeline,
    small_eyes: f32,
) -> (f32, f32) {
    let (mut coarse_error, mut refined_error, mut points) = (0.0f32, 0.0f32, 0usize);
    for rel in PHOTOS {
        let photo = image::load_from_memory(&face(shared, rel)).expect("decodes").to_rgb8();
        let big = *largest(&plain.detect(&photo, 0.8).expect("detect")).expect("a face");
        assert!(big.inter_ocular() > 2.0 * small_eyes, "{rel}: a large face");
        let s = small_eyes / big.inter_ocular();
        let (w, h) = ((photo.width() as f32 * s).round() as u32, (photo.height() as f32 * s).round() as u32);
        let small = resize(&photo, w, h);
        let (sx, sy) = (w as f32 / photo.width() as f32, h as f32 / photo.height() as f32);
        let truth = big.landmarks.map(|[x, y]| [(x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5]);
        let coarse = *largest(&plain.detect(&small, 0.6).expect("detect")).expect("the small face");
        assert_eq!(plain.refined(&small, &coarse).expect("refine"), coarse, "refinement off: the face as it is");
        let refined = refining.refined(&small, &coarse).expect("refine");
        assert_eq!(refined.bbox, coarse.bbox, "only the landmarks move");
        let error = |l: &[[f32; 2]; 5]| -> f32 {
            l.iter().zip(&truth).map(|(p, t)| ((p[0] - t[0]).powi(2) + (p[1] - t[1]).powi(2)).sqrt()).sum()
        };
        coarse_error += error(&coarse.landmarks);
        refined_error += error(&refined.landmarks);
        points += 5;
    }
    (coarse_error / points as f32, refined_error / points as f32)
}
