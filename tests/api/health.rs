use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_and_readyz_report_ok_when_models_and_database_are_up() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status().as_u16(), 200);
    let body: Value = ready.json().await.expect("json");
    assert_eq!(
        body["checks"],
        serde_json::json!({ "models": true, "database": true, "gallery": true, "gallery_current": true })
    );
    assert!(body["gallery_lag_seconds"].as_f64().is_some_and(|s| s < 5.0), "{body}");
}

#[tokio::test]
async fn metrics_count_requests_decisions_and_stages_without_personal_data() {
    let app = spawn_app().await;
    let meta = app.consented_meta("APP-METRICS-4410").await;
    let mut jpeg = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(64, 64, image::Rgb([3, 3, 3]))
        .write_to(&mut jpeg, image::ImageFormat::Jpeg)
        .expect("jpeg");
    let jpeg = jpeg.into_inner();
    let created = app.post_verification(crate::helpers::form(jpeg.clone(), jpeg, &meta)).await;
    assert_eq!(created.status().as_u16(), 201);
    let text = app.get("/metrics").await.text().await.expect("text");
    assert!(
        text.contains(r#"faceverify_http_requests_total{method="POST",route="/v1/verifications",status="201"}"#),
        "{text}"
    );
    assert!(text.contains(r#"faceverify_decisions_total{decision="rejected"}"#));
    let detect_count = text
        .lines()
        .find_map(|l| l.strip_prefix(r#"faceverify_stage_seconds_count{stage="detect"} "#))
        .and_then(|n| n.parse::<u64>().ok())
        .expect("detect histogram");
    assert!(detect_count >= 2, "both photos went through detection");
    for stage in ["decode", "verify"] {
        let line = format!(r#"faceverify_stage_seconds_count{{stage="{stage}"}} "#);
        let count = text.lines().find_map(|l| l.strip_prefix(line.as_str())).and_then(|n| n.parse::<u64>().ok());
        assert!(count.is_some_and(|c| c >= 1), "{stage} histogram observed");
    }
    assert!(text.contains("faceverify_verifications_in_flight 0"));
    assert!(text.contains("faceverify_gallery_templates 0"), "the gallery gauges");
    assert!(text.contains("faceverify_gallery_sync_age_seconds "), "the gallery gauges");
    assert!(!text.contains("APP-METRICS"), "no applicant reference in metrics");
}
