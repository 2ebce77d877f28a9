//! Consent before processing; withdrawal stops processing and crypto-shreds the subject's biometric data.

use crate::helpers::{assert_error, face, form, meta, require_shared, spawn_app, tiny_jpeg};

#[tokio::test]
async fn no_verification_without_an_active_consent_of_the_same_subject() {
    let app = spawn_app().await;
    let no_consent = meta("APP-1", "not-a-consent");
    assert_error(app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &no_consent)).await, 403, "consent_required")
        .await;
    let unknown = meta("APP-1", &uuid::Uuid::new_v4().to_string());
    assert_error(app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &unknown)).await, 403, "consent_required").await;
    let others = app.consent("APP-2").await;
    assert_error(
        app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta("APP-1", &others))).await,
        403,
        "consent_required",
    )
    .await;
    let own = app.consent("APP-1").await;
    assert_eq!(
        app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta("APP-1", &own))).await.status().as_u16(),
        201
    );
    assert_eq!(app.withdraw_consent(&own).await.status().as_u16(), 200);
    assert_error(
        app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta("APP-1", &own))).await,
        403,
        "consent_required",
    )
    .await;
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM verifications").await, 1, "refused requests stored nothing");
}

#[tokio::test]
async fn a_consent_record_holds_channel_text_version_and_cross_border() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/v1/consents"))
        .bearer_auth(&app.api_key)
        .header("X-Purpose", "identification")
        .json(&serde_json::json!({"subject_ref": "APP-7", "channel": "digital_signature", "text_version": "v3",
            "cross_border": true, "given_at": "2026-11-20T09:30:00+05:00"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 201);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["channel"], "digital_signature");
    assert_eq!(body["given_at"], "2026-11-20T04:30:00.000000Z", "stored in UTC");
    assert_eq!(body["cross_border"], true);
    assert!(body["given_at"].is_string() && body["withdrawn_at"].is_null());
    let bad = app
        .client
        .post(app.url("/v1/consents"))
        .bearer_auth(&app.api_key)
        .header("X-Purpose", "identification")
        .json(&serde_json::json!({"subject_ref": "APP-7", "channel": "telepathy", "text_version": "v3", "cross_border": true}))
        .send()
        .await
        .expect("request");
    assert_error(bad, 400, "invalid_body").await;
}

#[tokio::test]
async fn withdrawal_crypto_shreds_the_subjects_templates() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let consent = app.consent("APP-5").await;
    let selfie = face(&shared, "images/deepface/img20.jpg");
    let document = face(&shared, "images/deepface/img21.jpg");
    let created = app.post_verification(form(selfie, document, &meta("APP-5", &consent))).await;
    assert_eq!(created.status().as_u16(), 201);
    let id =
        created.json::<serde_json::Value>().await.expect("json")["verification_id"].as_str().expect("id").to_owned();
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM templates WHERE subject_ref = 'APP-5'").await, 1);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM subject_keys WHERE subject_ref = 'APP-5'").await, 1);

    let response = app.withdraw_consent(&consent).await;
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert!(body.get("templates_destroyed").is_none(), "counts are for staff, not clients: {body}");
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM templates WHERE subject_ref = 'APP-5'").await, 0);
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM subject_keys WHERE subject_ref = 'APP-5'").await,
        0,
        "data key destroyed"
    );
    let erased = format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'erase_biometrics' AND subject_ref = '{}'",
        app.pseudonym("APP-5")
    );
    assert_eq!(app.sql_count(&erased).await, 1);
    assert_error(app.withdraw_consent(&consent).await, 409, "consent_already_withdrawn").await;
    let record = app.get_as_client(&format!("/v1/verifications/{id}")).await;
    assert_eq!(record.status().as_u16(), 200, "the decision record (credit dossier) stays; the biometrics go");
}
