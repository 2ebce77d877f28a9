//! The optional state-database reference photo (`reference` part, `meta.reference_source`) end to end, on real
//! photos through the real models. (Not to be confused with `reference.rs`, the models' test vectors.)

use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{assert_error, face, form, meta, require_shared, spawn_app, spawn_app_with, tiny_jpeg, TestApp};

/// Three photos of one person (deepface P02): the selfie, the document's portrait, the state's reference.
const SELFIE: &str = "images/deepface/img3.jpg";
const DOCUMENT: &str = "images/deepface/img12.jpg";
const REFERENCE: &str = "images/deepface/img53.jpg";
/// Another person (deepface P07).
const SOMEONE_ELSE: &str = "images/deepface/img20.jpg";

/// `meta` for `subject` under `consent`, naming the reference's source as given (raw, to test validation).
fn meta_with_source(subject: &str, consent: &str, source: &str) -> String {
    let plain = meta(subject, consent);
    format!(r#"{},"reference_source":"{source}"}}"#, plain.trim_end_matches('}'))
}

fn with_reference(form: Form, reference: Vec<u8>) -> Form {
    form.part("reference", Part::bytes(reference).file_name("reference.jpg").mime_str("image/jpeg").expect("mime"))
}

/// The selfie, the document (photographed as a card) and the reference for a consented applicant, source `gbd_fl`.
async fn verify(app: &TestApp, subject: &str, selfie: Vec<u8>, document: Vec<u8>, reference: Vec<u8>) -> Value {
    let consent = app.consent(subject).await;
    let meta = meta_with_source(subject, &consent, "gbd_fl");
    let response = app.post_verification(with_reference(form(selfie, document, &meta), reference)).await;
    assert_eq!(response.status().as_u16(), 201);
    response.json().await.expect("json")
}

/// The stored row's reference columns and reasons, as analysts and auditors find them.
async fn stored(app: &TestApp, body: &Value) -> (Option<String>, Option<f64>, String) {
    let id = body["verification_id"].as_str().expect("id");
    let mut conn = app.store.acquire().await.expect("connection");
    sqlx::query_as("SELECT reference_source, reference_similarity, reasons FROM verifications WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .expect("row")
}

#[tokio::test]
async fn one_person_in_all_three_photos_matches_and_the_source_is_recorded() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let body = verify(&app, "APP-R1", face(&shared, SELFIE), face(&shared, DOCUMENT), face(&shared, REFERENCE)).await;
    assert_eq!(body["decision"], "match", "{body}");
    assert_eq!(body["reasons"], serde_json::json!(["faces_match", "passive_liveness_only"]), "{body}");
    let (source, similarity, _) = stored(&app, &body).await;
    assert_eq!(source.as_deref(), Some("gbd_fl"));
    let similarity = similarity.expect("live vs reference recorded");
    assert!((0.45..0.89).contains(&similarity), "two photos of one person: {similarity}");
    // The evidence record names the source and the score the decision rested on.
    let supervisor = app.staff_session("sam", faceverify::policy::Role::Supervisor).await;
    let id = body["verification_id"].as_str().expect("id");
    let record = crate::evidence::verification_record(&app, &supervisor, id).await;
    assert_eq!(record["verification"]["reference_source"], "gbd_fl", "{record}");
    let recorded = record["verification"]["reference_similarity"].as_f64().expect("score");
    assert!((recorded - similarity).abs() < 1e-6, "{record}");
    // Nothing of the reference is kept: one sealed template (the selfie's), no case, no crops.
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM templates").await, 1);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM cases").await, 0);
    // Without a reference nothing is recorded of one (another person: the same face again would be a 1:N duplicate).
    let plain = app.verified("APP-R2", face(&shared, SOMEONE_ELSE), face(&shared, "images/deepface/img21.jpg")).await;
    assert_eq!(plain["decision"], "match", "{plain}");
    assert_eq!(stored(&app, &plain).await.0, None);
}

#[tokio::test]
async fn a_reference_of_someone_else_is_no_match_even_when_selfie_and_document_agree() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let body =
        verify(&app, "APP-R3", face(&shared, SELFIE), face(&shared, DOCUMENT), face(&shared, SOMEONE_ELSE)).await;
    assert_eq!(body["decision"], "no_match", "{body}");
    assert_eq!(body["liveness"], "live", "{body}");
    assert_eq!(
        body["reasons"],
        serde_json::json!(["reference_mismatch", "passive_liveness_only"]),
        "the client sees only the reference's code (and that the selfie was a still photo)"
    );
    // Analysts see that the document contradicts the state's photo (a forged or borrowed document), in a case.
    let (source, similarity, reasons) = stored(&app, &body).await;
    assert_eq!(source.as_deref(), Some("gbd_fl"));
    assert!(similarity.is_some_and(|s| s < 0.36), "{similarity:?}");
    assert!(reasons.contains("reference_document_mismatch"), "{reasons}");
    assert!(!reasons.contains("faces_do_not_match") && !reasons.contains("\"document_mismatch"), "{reasons}");
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM cases").await, 1);
}

#[tokio::test]
async fn a_reference_without_a_face_is_rejected_with_its_own_code() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let body = verify(&app, "APP-R5", face(&shared, SELFIE), face(&shared, DOCUMENT), tiny_jpeg()).await;
    assert_eq!(body["decision"], "rejected", "{body}");
    assert_eq!(body["reasons"], serde_json::json!(["reference_no_face"]), "{body}");
    assert_eq!(stored(&app, &body).await.1, None, "no comparison was made");
    // A reference that is not an image at all names its part.
    let consent = app.consent("APP-R6").await;
    let meta = meta_with_source("APP-R6", &consent, "finid");
    let form = with_reference(form(face(&shared, SELFIE), face(&shared, DOCUMENT), &meta), b"not an image".to_vec());
    let error = assert_error(app.post_verification(form).await, 422, "unsupported_image_format").await;
    assert!(error["message"].as_str().expect("message").starts_with("reference"), "{error}");
}

#[tokio::test]
async fn reference_source_is_validated_and_comes_with_the_reference() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let consent = app.consent("APP-R7").await;
    let photos = || (face(&shared, SELFIE), face(&shared, DOCUMENT));
    for bad in ["GBD_FL", "gbd fl", "", "a-very-long-source-name-beyond-32-chars"] {
        let (selfie, document) = photos();
        let meta = meta_with_source("APP-R7", &consent, bad);
        let form = with_reference(form(selfie, document, &meta), face(&shared, REFERENCE));
        assert_error(app.post_verification(form).await, 400, "invalid_reference_source").await;
    }
    // A reference without its source, and a source without a reference.
    let (selfie, document) = photos();
    let form_without_source = with_reference(form(selfie, document, &meta("APP-R7", &consent)), tiny_jpeg());
    assert_error(app.post_verification(form_without_source).await, 400, "invalid_reference_source").await;
    let (selfie, document) = photos();
    let source_only = form(selfie, document, &meta_with_source("APP-R7", &consent, "gbd_fl"));
    assert_error(app.post_verification(source_only).await, 400, "missing_field").await;
    // Twice is refused as any part is.
    let (selfie, document) = photos();
    let meta = meta_with_source("APP-R7", &consent, "gbd_fl");
    let twice = with_reference(with_reference(form(selfie, document, &meta), tiny_jpeg()), tiny_jpeg());
    assert_error(app.post_verification(twice).await, 400, "duplicate_field").await;
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM verifications").await, 0);
}

#[tokio::test]
async fn the_reference_counts_in_the_request_size_limit() {
    let shared = require_shared!();
    let (selfie, document) = (face(&shared, SELFIE), face(&shared, DOCUMENT));
    let card = crate::helpers::document_photo::photographed(&document, document.len() as u64).expect("card");
    let reference = face(&shared, REFERENCE);
    // Room for the selfie, the document and the meta with 4 KiB to spare, not for the reference on top.
    let without = selfie.len() + card.len() + 4096;
    assert!(reference.len() > 8192, "the reference is no tiny file");
    let app = spawn_app_with(|s| {
        s.server.max_request_bytes = without + 4096;
        s.pipeline.limits.max_bytes = selfie.len().max(card.len()).max(reference.len());
    })
    .await;
    let consent = app.consent("APP-R8").await;
    let meta = meta_with_source("APP-R8", &consent, "gbd_fl");
    let parts = || {
        Form::new()
            .part("selfie", Part::bytes(selfie.clone()).file_name("s.jpg").mime_str("image/jpeg").expect("mime"))
            .part("document", Part::bytes(card.clone()).file_name("d.jpg").mime_str("image/jpeg").expect("mime"))
            .part("meta", Part::text(meta.clone()).mime_str("application/json").expect("mime"))
    };
    let too_big = with_reference(parts(), reference.clone());
    assert_error(app.post_verification(too_big).await, 413, "payload_too_large").await;
    // The same request with a small reference fits.
    let fits = app.post_verification(with_reference(parts(), tiny_jpeg())).await;
    assert_eq!(fits.status().as_u16(), 201);
}

#[tokio::test]
async fn the_idempotency_key_covers_the_reference() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let consent = app.consent("APP-R9").await;
    let meta = meta_with_source("APP-R9", &consent, "gbd_fl");
    let post = |reference: Option<&str>| {
        let mut form = form(face(&shared, SELFIE), face(&shared, DOCUMENT), &meta);
        if let Some(reference) = reference {
            form = with_reference(form, face(&shared, reference));
        }
        let request = app
            .client
            .post(app.url("/v1/verifications"))
            .bearer_auth(&app.api_key)
            .header("Idempotency-Key", "ref-key-1")
            .multipart(form);
        async move { request.send().await.expect("request") }
    };
    let first = post(Some(REFERENCE)).await;
    assert_eq!(first.status().as_u16(), 201);
    let first: Value = first.json().await.expect("json");
    let again = post(Some(REFERENCE)).await;
    assert_eq!(again.status().as_u16(), 200, "the same request replays");
    assert_eq!(again.json::<Value>().await.expect("json"), first);
    assert_error(post(Some(SOMEONE_ELSE)).await, 409, "idempotency_key_reused").await;
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM verifications").await, 1);
}
