//! Failure to acquire (issue 14, item 1): a selfie whose face fills the frame, or a dim one, was `selfie_no_face`.
//! The detector now looks again in the photo padded and, when dim, contrast-stretched. The hard captures are made
//! here from shared photos the way `faceverify eval-acquisition` makes them, from photos it reports as missed
//! without the retries.

use faceverify::cli::eval::acquisition::make;
use faceverify::pipeline::largest;
use image::ImageEncoder;

use crate::helpers::{face, form, pool, require_shared, settings, spawn_app_with};

fn jpeg(img: &image::RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(img, img.width(), img.height(), image::ExtendedColorType::Rgb8)
        .expect("jpeg");
    out
}

#[tokio::test]
async fn a_face_that_fills_the_frame_or_a_dim_selfie_is_found() {
    let shared = require_shared!();
    let cases = [
        ("tight", "images/compreface/007_B.jpg"),
        ("tight_grey", "images/compreface/007_B.jpg"),
        ("dim", "images/dlib_johns/John_Salley/000179_02159509.jpg"),
    ];
    let mut captures = Vec::new();
    for (variant, rel) in cases {
        let photo = image::load_from_memory(&face(&shared, rel)).expect("decodes").to_rgb8();
        let original = photo.clone();
        let faces = pool().run(move |p| p.detect(&original, 0.6)).await.expect("pool").expect("detect");
        let at = *largest(&faces).expect("a face in the original");
        captures.push((variant, make(&photo, &at, variant).0));
    }
    // The detector itself, at the selfie threshold, without and with the retries.
    for retry in [false, true] {
        let mut s = settings();
        s.pipeline.detection.retry_hard_captures = retry;
        s.models.workers = 1;
        let engine = faceverify::engine::start(&s).expect("engine");
        for (variant, img) in &captures {
            let img = img.clone();
            let found = engine.run(move |p| p.detect(&img, 0.8)).await.expect("pool").expect("detect");
            assert_eq!(found.is_empty(), !retry, "{variant}, retries {retry}");
        }
    }
    // And through the service: the selfie's face is found.
    let app = spawn_app_with(|s| s.pipeline.detection.retry_hard_captures = true).await;
    let document = face(&shared, "images/deepface/img21.jpg");
    for (variant, img) in &captures {
        let meta = app.consented_meta("APP-ACQ").await;
        let response = app.post_verification(form(jpeg(img), document.clone(), &meta)).await;
        let body: serde_json::Value = response.json().await.expect("json");
        assert!(!body["reasons"].as_array().expect("reasons").contains(&"selfie_no_face".into()), "{variant}: {body}");
    }
}
