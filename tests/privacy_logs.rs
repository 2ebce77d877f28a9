//! No personal data in logs: a consent with a recognisable subject reference and text version, a verification
//! under it (with an IIN and birth date, and a document whose machine-readable zone is read) and rejected requests
//! carrying the reference and a malformed IIN run with every log line captured at debug level; none of them, no
//! line of the zone and none of the embedding's values may appear. A separate test binary, because it installs its own global subscriber.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

const APPLICANT: &str = "APPLICANT-SECRET-7731";
const CONSENT: &str = "CONSENT-SECRET-4410";
const IIN: &str = "900101400122";
const BAD_IIN: &str = "900101400129";

#[tokio::test]
async fn logs_carry_no_references_and_no_embedding_values() {
    let capture = Capture::default();
    faceverify::telemetry::init("debug", capture.clone());
    let shared = helpers::require_shared!();
    let selfie = helpers::face(&shared, "images/deepface/img20.jpg");
    let zone = helpers::document_photo::td1_zone(IIN, "900101");
    let portrait = helpers::face(&shared, "images/deepface/img21.jpg");
    let document = helpers::document_photo::photographed_with_zone(&portrait, 5, &zone).expect("card");
    let app = helpers::spawn_app().await;

    let consent = app
        .client
        .post(app.url("/v1/consents"))
        .bearer_auth(&app.api_key)
        .header("X-Purpose", "identification")
        .json(&serde_json::json!({
            "subject_ref": APPLICANT, "channel": "digital_signature", "text_version": CONSENT, "cross_border": false
        }))
        .send()
        .await
        .expect("consent");
    assert_eq!(consent.status().as_u16(), 201);
    let consent_id =
        consent.json::<serde_json::Value>().await.expect("json")["consent_id"].as_str().expect("id").to_owned();
    let meta = format!(
        r#"{{"applicant_ref":"{APPLICANT}","purpose":"identification","consent_ref":"{consent_id}","iin":"{IIN}","birth_date":"1990-01-01"}}"#
    );
    let ok = app.post_verification(helpers::raw_form(selfie.clone(), document.clone(), &meta)).await;
    assert_eq!(ok.status().as_u16(), 201);
    let ok: serde_json::Value = ok.json().await.expect("json");
    assert_eq!(ok["decision"], "match", "the zone was read and agrees: {ok}");
    let bad = format!(r#"{{"applicant_ref":"{APPLICANT} x","purpose":"marketing","consent_ref":"{consent_id}"}}"#);
    let refused = app.post_verification(helpers::raw_form(selfie.clone(), document.clone(), &bad)).await;
    assert_eq!(refused.status().as_u16(), 400);
    let bad_iin = format!(
        r#"{{"applicant_ref":"{APPLICANT}","purpose":"identification","consent_ref":"{consent_id}","iin":"{BAD_IIN}"}}"#
    );
    let refused = app.post_verification(helpers::raw_form(selfie.clone(), document, &bad_iin)).await;
    assert_eq!(refused.status().as_u16(), 400);

    // Paths can carry the reference: the DPO's residue query names the subject in the URL.
    let dpo = app.staff_session("dora", faceverify::policy::Role::Dpo).await;
    let residue = app
        .client
        .get(app.url(&format!("/v1/subjects/{APPLICANT}/residue")))
        .bearer_auth(&dpo)
        .header("X-Purpose", "identification")
        .send()
        .await
        .expect("residue");
    assert_eq!(residue.status().as_u16(), 200);
    // An evidence package names the subject by pseudonym only, in the package and in the logs.
    let id = ok["verification_id"].as_str().expect("id");
    let evidence = app
        .client
        .get(app.url(&format!("/v1/verifications/{id}/evidence")))
        .bearer_auth(&dpo)
        .header("X-Purpose", "identification")
        .send()
        .await
        .expect("evidence");
    assert_eq!(evidence.status().as_u16(), 200);
    let zip = evidence.bytes().await.expect("zip");
    assert!(!zip.windows(APPLICANT.len()).any(|w| w == APPLICANT.as_bytes()), "the reference is in the package");

    let embedding = helpers::selfie_embedding(selfie).await;

    let logs = String::from_utf8(capture.0.lock().expect("lock").clone()).expect("utf8");
    assert!(logs.contains("verification stored"), "the capture works: {} bytes", logs.len());
    for secret in [APPLICANT, CONSENT, IIN, BAD_IIN, "1990-01-01", zone[0].as_str(), zone[1].as_str(), "N12345678"] {
        assert!(!logs.contains(secret), "{secret} leaked into the logs");
    }
    for value in embedding.iter().filter(|v| v.abs() > 0.01).take(16) {
        let printed = format!("{value:.5}");
        assert!(!logs.contains(&printed), "embedding value {printed} leaked into the logs");
    }
}
