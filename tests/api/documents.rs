//! The document part must be an independent picture: not the selfie's own photo (or a copy of it), and not an ID
//! photo already enrolled under another applicant. The issue: one photo sent as both parts came back `match`.
//! The copies below are made here from the shared photos (re-encoded, rescaled, re-cropped): real attacks may
//! also print and re-photograph the picture, which this check is not built for (see docs/accuracy.md).

use image::{imageops, RgbImage};
use serde_json::Value;

use crate::helpers::{face, form, require_shared, spawn_app, TestApp};

async fn verify(app: &TestApp, subject: &str, selfie: Vec<u8>, document: Vec<u8>) -> Value {
    let meta = app.consented_meta(subject).await;
    let response = app.post_verification(form(selfie, document, &meta)).await;
    assert_eq!(response.status().as_u16(), 201);
    response.json().await.expect("json")
}

/// The stored (analyst-side) decision and reasons of a verification.
async fn stored(app: &TestApp, body: &Value) -> (String, String) {
    let id = body["verification_id"].as_str().expect("id");
    let mut conn = app.store.acquire().await.expect("connection");
    sqlx::query_as::<_, (String, String)>("SELECT decision, reasons FROM verifications WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .expect("stored verification")
}

/// `jpeg` decoded, scaled by `scale`, cropped to the central `keep` share, re-encoded at `quality`.
fn copy_of(jpeg: &[u8], scale: f32, keep: f32, quality: u8) -> Vec<u8> {
    let img: RgbImage = image::load_from_memory(jpeg).expect("decodes").to_rgb8();
    let (w, h) = img.dimensions();
    let (sw, sh) = ((w as f32 * scale) as u32, (h as f32 * scale) as u32);
    let scaled = imageops::resize(&img, sw, sh, imageops::FilterType::Triangle);
    let (cw, ch) = ((sw as f32 * keep) as u32, (sh as f32 * keep) as u32);
    let cropped = imageops::crop_imm(&scaled, (sw - cw) / 2, (sh - ch) / 2, cw, ch).to_image();
    faceverify::document::eval::jpeg(&cropped, quality).expect("encodes")
}

#[tokio::test]
async fn the_selfie_sent_again_as_the_document_goes_to_review() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let selfie = face(&shared, "images/deepface/img20.jpg");
    let copies = [
        ("the same file", selfie.clone()),
        ("re-encoded", copy_of(&selfie, 1.0, 1.0, 60)),
        ("rescaled and re-cropped", copy_of(&selfie, 0.7, 0.9, 80)),
    ];
    for (i, (what, document)) in copies.into_iter().enumerate() {
        let body = verify(&app, &format!("APP-SELF-{i}"), selfie.clone(), document).await;
        assert_eq!(
            (body["decision"].as_str(), &body["reasons"]),
            (Some("review"), &serde_json::json!(["under_review"])),
            "{what}: {body}"
        );
        let (decision, reasons) = stored(&app, &body).await;
        assert_eq!(decision, "review", "{what}");
        assert!(reasons.contains("document_is_selfie"), "{what}: {reasons}");
    }
}

#[tokio::test]
async fn two_photos_of_one_person_are_no_same_picture() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let p = |n: &str| face(&shared, &format!("images/deepface/{n}"));
    for (i, (a, b)) in
        [("img20.jpg", "img21.jpg"), ("img3.jpg", "img12.jpg"), ("img16.jpg", "img17.jpg")].into_iter().enumerate()
    {
        let body = verify(&app, &format!("APP-TWO-{i}"), p(a), p(b)).await;
        let (decision, reasons) = stored(&app, &body).await;
        assert!(!reasons.contains("document_is_selfie"), "{a} vs {b}: {decision} {reasons}");
    }
}

#[tokio::test]
async fn an_enrolled_face_on_another_applicants_document_is_flagged() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let p = |n: &str| face(&shared, &format!("images/deepface/{n}"));
    let first = verify(&app, "APP-DOC-A", p("img3.jpg"), p("img12.jpg")).await;
    assert_eq!(first["decision"], "match", "{first}");
    // Another applicant, another face, holding an ID with the first applicant's face (another photo of them).
    let second = verify(&app, "APP-DOC-B", p("img20.jpg"), p("img53.jpg")).await;
    assert_eq!(
        (second["decision"].as_str(), &second["reasons"]),
        (Some("review"), &serde_json::json!(["under_review"])),
        "{second}"
    );
    let (decision, reasons) = stored(&app, &second).await;
    assert_eq!(decision, "review");
    assert!(reasons.contains("document_reused"), "{reasons}");
    assert!(!reasons.contains("duplicate_identity"), "the selfie is nobody else's: {reasons}");
}
