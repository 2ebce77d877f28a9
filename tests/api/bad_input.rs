//! Hostile and broken requests: each gets its stable code and status, never a 500, and nothing stored is lost.

use faceverify::pipeline::testing::png_with_dimensions;
use reqwest::multipart::{Form, Part};

// Hostile and broken parts travel exactly as sent: no document card is made around them.
use crate::helpers::{assert_error, face, raw_form as form, require_shared, spawn_app, spawn_app_with, TestApp, META};

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, 60]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).expect("encode");
    out.into_inner()
}

fn png_header_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::RgbImage::new(1, 1).write_to(&mut out, image::ImageFormat::Png).expect("encode");
    png_with_dimensions(&out.into_inner(), w, h)
}

async fn post(app: &TestApp, form: Form) -> reqwest::Response {
    app.post_verification(form).await
}

/// A hand-made body with its own content type, bypassing the multipart encoder.
async fn post_raw(app: &TestApp, content_type: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    app.client
        .post(app.url("/v1/verifications"))
        .bearer_auth(&app.api_key)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn missing_empty_duplicate_and_unexpected_parts() {
    let app = spawn_app().await;
    let only_meta = Form::new().text("meta", META);
    assert_error(post(&app, only_meta).await, 400, "missing_field").await;
    let no_meta = Form::new().part("selfie", Part::bytes(jpeg(8, 8))).part("document", Part::bytes(jpeg(8, 8)));
    assert_error(post(&app, no_meta).await, 400, "missing_field").await;
    assert_error(post(&app, form(Vec::new(), jpeg(8, 8), META)).await, 400, "empty_part").await;
    let twice = form(jpeg(8, 8), jpeg(8, 8), META).part("selfie", Part::bytes(jpeg(8, 8)));
    assert_error(post(&app, twice).await, 400, "duplicate_field").await;
    let extra = form(jpeg(8, 8), jpeg(8, 8), META).text("embedding", "[0.1, 0.2]");
    assert_error(post(&app, extra).await, 400, "unexpected_field").await;
}

#[tokio::test]
async fn invalid_meta_and_forbidden_purpose() {
    let app = spawn_app().await;
    assert_error(post(&app, form(jpeg(8, 8), jpeg(8, 8), "not json")).await, 400, "invalid_meta").await;
    let bad_ref = r#"{"applicant_ref":"has space","purpose":"identification","consent_ref":"C"}"#;
    let body = assert_error(post(&app, form(jpeg(8, 8), jpeg(8, 8), bad_ref)).await, 400, "invalid_meta").await;
    assert!(!body.to_string().contains("has space"), "errors never echo personal references");
    let marketing = r#"{"applicant_ref":"A1","purpose":"marketing","consent_ref":"C"}"#;
    assert_error(post(&app, form(jpeg(8, 8), jpeg(8, 8), marketing)).await, 403, "purpose_not_permitted").await;
}

#[tokio::test]
async fn images_that_are_not_images_or_are_broken() {
    let app = spawn_app().await;
    let meta = app.consented_meta("APP-0001").await;
    let meta = meta.as_str();
    let pdf = b"%PDF-1.7\n1 0 obj << >> endobj".to_vec();
    assert_error(post(&app, form(pdf, jpeg(64, 64), meta)).await, 422, "unsupported_image_format").await;
    let full = jpeg(256, 256);
    let truncated = full[..full.len() / 2].to_vec();
    let body = assert_error(post(&app, form(jpeg(64, 64), truncated, meta)).await, 422, "corrupt_image").await;
    assert!(body["message"].as_str().expect("message").starts_with("document"), "names the part: {body}");
    let bomb = png_header_claiming(20_000, 20_000);
    assert_error(post(&app, form(bomb, jpeg(64, 64), meta)).await, 413, "image_too_large").await;
}

#[tokio::test]
async fn wrong_content_type_and_oversized_bodies() {
    let app = spawn_app_with(|s| {
        s.pipeline.limits.max_bytes = 64 * 1024;
        s.server.max_request_bytes = 256 * 1024;
    })
    .await;
    assert_error(post_raw(&app, "application/json", META).await, 415, "unsupported_media_type").await;
    let big_part = vec![0xFFu8; 100 * 1024];
    assert_error(post(&app, form(big_part, jpeg(8, 8), META)).await, 413, "payload_too_large").await;
    let multipart = "multipart/form-data; boundary=x";
    assert_error(post_raw(&app, multipart, vec![0u8; 1024 * 1024]).await, 413, "payload_too_large").await;
    assert_error(post_raw(&app, multipart, "--y\r\nnonsense").await, 400, "malformed_multipart").await;
}

#[tokio::test]
async fn a_face_free_photo_is_rejected_not_an_error() {
    let app = spawn_app().await;
    let meta = app.consented_meta("APP-0001").await;
    let response = post(&app, form(jpeg(320, 240), jpeg(320, 240), &meta)).await;
    assert_eq!(response.status().as_u16(), 201);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["decision"], "rejected");
    // A picture of nothing is no document either: the document is refused before its face is looked for.
    assert_eq!(body["reasons"], serde_json::json!(["selfie_no_face", "document_not_found"]));
}

/// Half a JPEG followed by an end-of-image marker: both decoders would pad the missing half with grey.
fn cut_in_half_with_end_marker(jpeg: &[u8]) -> Vec<u8> {
    [&jpeg[..jpeg.len() / 2], &[0xFF, 0xD9]].concat()
}

#[tokio::test]
async fn half_a_jpeg_with_an_end_marker_is_corrupt_and_the_whole_one_passes() {
    let app = spawn_app().await;
    let meta = app.consented_meta("APP-0001").await;
    let whole = jpeg(256, 256);
    let forged = cut_in_half_with_end_marker(&whole);
    let body = assert_error(post(&app, form(jpeg(64, 64), forged, &meta)).await, 422, "corrupt_image").await;
    assert!(body["message"].as_str().expect("message").starts_with("document"), "names the part: {body}");
    assert_eq!(post(&app, form(jpeg(64, 64), whole, &meta)).await.status().as_u16(), 201);
}

fn jpeg_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            jpeg_files(&path, out);
        } else if std::fs::read(&path).is_ok_and(|b| b.starts_with(&[0xFF, 0xD8])) {
            out.push(path);
        }
    }
}

/// Every JPEG of ../shared (baseline, progressive, with restart markers) decodes, and none cut in half does.
#[tokio::test]
async fn no_shared_photo_is_refused_and_every_one_cut_in_half_is() {
    use faceverify::pipeline::{decode, DecodeError, DecodeLimits};
    let shared = require_shared!();
    let mut files = Vec::new();
    jpeg_files(&shared.join("data/faces"), &mut files);
    assert!(files.len() >= 150, "found {} JPEGs", files.len());
    for path in &files {
        let bytes = std::fs::read(path).expect("read");
        let shown = path.display();
        assert!(decode(&bytes, &DecodeLimits::default()).is_ok(), "{shown} is refused");
        let forged = cut_in_half_with_end_marker(&bytes);
        assert_eq!(decode(&forged, &DecodeLimits::default()), Err(DecodeError::Corrupt), "{shown} cut in half");
    }
    let app = spawn_app().await;
    let meta = app.consented_meta("APP-0001").await;
    let real = cut_in_half_with_end_marker(&face(&shared, "images/deepface/img20.jpg"));
    assert_error(post(&app, form(real, jpeg(64, 64), &meta)).await, 422, "corrupt_image").await;
}
