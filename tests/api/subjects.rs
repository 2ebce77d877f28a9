//! Subject erasure, data residency and lockout after repeated failed logins.

use faceverify::policy::Role;
use serde_json::Value;

use crate::helpers::{assert_error, face, form, require_shared, settings, spawn_app, spawn_app_with, tiny_jpeg};

#[tokio::test]
async fn erasure_removes_everything_about_a_subject_and_proves_it() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let meta = app.consented_meta("APP-E").await;
    let real = form(face(&shared, "images/deepface/img3.jpg"), face(&shared, "images/deepface/img12.jpg"), &meta);
    assert_eq!(app.post_verification(real).await.status().as_u16(), 201);
    assert_eq!(app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await.status().as_u16(), 201);
    let dpo = app.staff_session("dora", Role::Dpo).await;
    let before = app.staff_json(&dpo, reqwest::Method::GET, "/v1/subjects/APP-E/residue").await;
    assert_eq!(before["nothing_remains"], false);
    assert_eq!(before["residue"]["verifications"], 2);
    assert_eq!(before["residue"]["gallery"], 1);
    assert_eq!(before["residue"]["cases"], 1);

    let erased = app.staff_json(&dpo, reqwest::Method::DELETE, "/v1/subjects/APP-E").await;
    assert_eq!(erased["gallery_templates_removed"], 1);
    let after = app.staff_json(&dpo, reqwest::Method::GET, "/v1/subjects/APP-E/residue").await;
    assert_eq!(after["nothing_remains"], true, "{after}");
    let erasure = format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'erase_subject' AND subject_ref = '{}'",
        app.pseudonym("APP-E")
    );
    assert_eq!(app.sql_count(&erasure).await, 1);

    let again = app.consented_meta("APP-F").await;
    let same_face =
        form(face(&shared, "images/deepface/img53.jpg"), face(&shared, "images/deepface/img54.jpg"), &again);
    let v: Value = app.post_verification(same_face).await.json().await.expect("json");
    assert_eq!(v["decision"], "match", "the erased face no longer counts as a duplicate: {v}");
}

#[tokio::test]
async fn storage_outside_kazakhstan_refuses_to_start_without_consented_cross_border_mode() {
    let db = tempfile::tempdir().expect("tempdir");
    let mut s = settings();
    s.database.url = format!("sqlite://{}", db.path().join("x.db").display());
    s.residency.storage_region = "DE".into();
    let err =
        faceverify::startup::Application::build_with_pool(s, crate::helpers::pool()).await.err().expect("refused");
    assert!(err.to_string().contains("outside Kazakhstan"), "{err}");
}

#[tokio::test]
async fn in_cross_border_mode_only_cross_border_consents_admit_processing() {
    let app = spawn_app_with(|s| {
        s.residency.storage_region = "DE".into();
        s.residency.cross_border_consent_mode = true;
    })
    .await;
    let domestic = crate::helpers::meta("APP-X", &app.consent("APP-X").await);
    assert_error(app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &domestic)).await, 403, "consent_required").await;
    let consent = app
        .client
        .post(app.url("/v1/consents"))
        .bearer_auth(&app.api_key)
        .header("X-Purpose", "identification")
        .json(&serde_json::json!({"subject_ref": "APP-Y", "channel": "digital_signature", "text_version": "v1", "cross_border": true}))
        .send()
        .await
        .expect("request");
    let id = consent.json::<Value>().await.expect("json")["consent_id"].as_str().expect("id").to_owned();
    let abroad = crate::helpers::meta("APP-Y", &id);
    assert_eq!(app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &abroad)).await.status().as_u16(), 201);
}

#[tokio::test]
async fn repeated_failed_logins_lock_the_address_out_and_raise_a_security_event() {
    let app = spawn_app().await;
    let password = "correct horse battery staple";
    let totp = faceverify::auth::create_staff(&app.store, &app.kek, "mallory-target", Role::Auditor, password)
        .await
        .expect("staff");
    for _ in 0..5 {
        assert_error(app.login("mallory-target", "guess", "123456").await, 401, "invalid_credentials").await;
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    let code = totp.code_at(now / faceverify::auth::TOTP_STEP_SECS);
    // This address is locked out of the account (its owner elsewhere is not: login_limits.rs).
    assert_error(app.login("mallory-target", password, &code).await, 429, "too_many_attempts").await;
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM security_events WHERE kind = 'repeated_failed_logins'").await, 1);
}

#[tokio::test]
async fn the_dpo_sees_security_events_and_gets_an_incident_export() {
    let app = spawn_app().await;
    let password = "correct horse battery staple";
    faceverify::auth::create_staff(&app.store, &app.kek, "target", Role::Auditor, password).await.expect("staff");
    for _ in 0..5 {
        app.login("target", "guess", "123456").await;
    }
    let dpo = app.staff_session("dora", Role::Dpo).await;
    let events = app.staff_json(&dpo, reqwest::Method::GET, "/v1/security/events").await;
    assert_eq!(events["events"][0]["kind"], "repeated_failed_logins", "{events}");
    let incident = app.staff_json(&dpo, reqwest::Method::GET, "/v1/security/incident").await;
    assert_eq!(incident["events_by_kind"]["repeated_failed_logins"], 1);
    assert!(incident["notify_authority_by"].is_string(), "{incident}");
    assert!(incident["detected_at"].is_string());
}

#[tokio::test]
async fn a_burst_of_crop_views_by_one_user_raises_one_security_event() {
    let shared = require_shared!();
    let app = spawn_app_with(|s| s.security.burst_threshold = 3).await;
    let meta = app.consented_meta("APP-B").await;
    let spoof =
        form(face(&shared, "images/silent_face/image_F2.jpg"), face(&shared, "images/deepface/img20.jpg"), &meta);
    let v: Value = app.post_verification(spoof).await.json().await.expect("json");
    let id = uuid::Uuid::parse_str(v["verification_id"].as_str().expect("id")).expect("uuid");
    let mut conn = app.store.acquire().await.expect("conn");
    let case = faceverify::store::cases::by_verification(&mut conn, id).await.expect("query").expect("case").case_id;
    drop(conn);
    let analyst = app.staff_session("nosy", Role::FraudAnalyst).await;
    for _ in 0..6 {
        let crop = app
            .client
            .get(app.url(&format!("/v1/cases/{case}/crops/selfie")))
            .bearer_auth(&analyst)
            .header("X-Purpose", "anti_fraud")
            .send()
            .await
            .expect("request");
        assert_eq!(crop.status().as_u16(), 200);
    }
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM security_events WHERE kind = 'access_burst'").await, 1);
}
