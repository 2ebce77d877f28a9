//! Evidence packages: signed records of a verification or a case, exported as ZIP by supervisors and the DPO,
//! audited, and checked offline by `faceverify evidence verify`.

use std::io::{Cursor, Read, Write};
use std::path::PathBuf;

use faceverify::policy::Role;
use serde_json::Value;

use crate::helpers::{assert_error, face, form, require_shared, spawn_app, tiny_jpeg, TestApp};

async fn export(app: &TestApp, token: &str, path: &str, purpose: &str) -> reqwest::Response {
    app.client.get(app.url(path)).bearer_auth(token).header("X-Purpose", purpose).send().await.expect("request")
}

async fn package(app: &TestApp, token: &str, path: &str, purpose: &str) -> Vec<u8> {
    let response = export(app, token, path, purpose).await;
    assert_eq!(response.status().as_u16(), 200, "{path}");
    assert_eq!(response.headers()["content-type"], "application/zip");
    response.bytes().await.expect("body").to_vec()
}

fn entries(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).expect("a ZIP");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).expect("entry");
            let name = file.name().expect("name").into_owned();
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).expect("read");
            (name, bytes)
        })
        .collect()
}

fn entry<'a>(entries: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    &entries.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("{name} in the package")).1
}

/// The package with one byte of `name` changed.
fn tampered(entries: &[(String, Vec<u8>)], name: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (n, bytes) in entries {
        let mut bytes = bytes.clone();
        if n == name {
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0x01;
        }
        zip.start_file(n.as_str(), options).expect("start");
        zip.write_all(&bytes).expect("write");
    }
    zip.finish().expect("finish").into_inner()
}

/// The `record.json` of verification `id`'s evidence package, exported by `token` (a supervisor) for anti-fraud.
pub(crate) async fn verification_record(app: &TestApp, token: &str, id: &str) -> Value {
    let zip = package(app, token, &format!("/v1/verifications/{id}/evidence"), "anti_fraud").await;
    serde_json::from_slice(entry(&entries(&zip), "record.json")).expect("record")
}

/// `faceverify evidence verify` on `zip` (offline: no database, no KEK): its exit success and JSON report.
fn cli_verify(app: &TestApp, zip: &[u8], pinned: Option<&str>) -> (bool, Value) {
    let path: PathBuf = app.dir.path().join(format!("package-{}.zip", uuid::Uuid::new_v4()));
    std::fs::write(&path, zip).expect("write");
    let mut args = vec!["evidence", "verify", path.to_str().expect("utf-8")];
    if let Some(key) = pinned {
        args.extend(["--public-key", key]);
    }
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_faceverify"))
        .args(&args)
        .env_remove("FACEVERIFY_KEK")
        .env_remove("FACEVERIFY__VAULT__KEK_FILE")
        .env("FACEVERIFY__DATABASE__URL", "sqlite:///nonexistent/nowhere.db")
        .output()
        .expect("faceverify runs");
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("a JSON report: {}", String::from_utf8_lossy(&output.stderr)));
    (output.status.success(), report)
}

async fn verify(app: &TestApp, subject: &str, selfie: Vec<u8>, document: Vec<u8>) -> String {
    let meta = app.consented_meta(subject).await;
    let response = app.post_verification(form(selfie, document, &meta)).await;
    assert_eq!(response.status().as_u16(), 201);
    let body: Value = response.json().await.expect("json");
    body["verification_id"].as_str().expect("id").to_owned()
}

async fn case_of(app: &TestApp, verification_id: &str) -> String {
    let id = uuid::Uuid::parse_str(verification_id).expect("uuid");
    let mut conn = app.store.acquire().await.expect("conn");
    faceverify::store::cases::by_verification(&mut conn, id).await.expect("query").expect("a case").case_id.to_string()
}

#[tokio::test]
async fn a_case_package_holds_the_signed_record_and_its_crops_and_any_change_is_caught() {
    let shared = require_shared!();
    let app = spawn_app().await;
    let p = |n: &str| face(&shared, &format!("images/deepface/{n}"));
    verify(&app, "APP-A", p("img3.jpg"), p("img12.jpg")).await;
    let duplicate = verify(&app, "APP-B", p("img53.jpg"), p("img54.jpg")).await;
    let case = case_of(&app, &duplicate).await;
    let supervisor = app.staff_session("sam", Role::Supervisor).await;
    let zip = package(&app, &supervisor, &format!("/v1/cases/{case}/evidence"), "anti_fraud").await;
    let files = entries(&zip);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["README.txt", "record.json", "signature.json", "crops/selfie.png", "crops/document.png"],
        "{names:?}"
    );
    let record: Value = serde_json::from_slice(entry(&files, "record.json")).expect("record");
    assert_eq!(record["kind"], "case");
    assert_eq!(record["verification"]["id"], duplicate.as_str());
    assert_eq!(record["verification"]["subject_pseudonym"], app.pseudonym("APP-B"));
    assert!(record["verification"]["request_digest"].as_str().is_some_and(|d| d.len() == 64), "{record}");
    assert!(record["verification"]["reasons"].as_array().expect("reasons").contains(&"duplicate_identity".into()));
    assert_eq!(record["case"]["id"], case.as_str());
    assert_eq!(record["case"]["status"], "open");
    assert!(record["liveness_session"].is_null());
    assert!(record["thresholds"]["match_min"].is_number(), "{record}");
    let bar = record["verification"]["duplicate_bar"].as_f64().expect("the bar searched at");
    assert!((bar - 0.48).abs() < 1e-6, "a gallery of one searched at the floor: {record}");
    let models = record["models"].as_array().expect("models");
    assert!(models.iter().any(|m| m["role"] == "recognition" && m["sha256"].as_str().is_some_and(|h| h.len() == 64)));
    let text = String::from_utf8_lossy(entry(&files, "record.json")).into_owned();
    assert!(!text.contains("APP-B") && !text.contains("APP-A"), "no applicant reference in the record: {text}");
    assert!(entry(&files, "crops/selfie.png").starts_with(b"\x89PNG"));

    let (ok, report) = cli_verify(&app, &zip, None);
    assert!(ok, "{report}");
    assert_eq!(report["signature_valid"], true);
    assert_eq!(report["case_id"], case.as_str());
    assert_eq!(report["files"].as_array().expect("files").len(), 2, "{report}");
    let signature: Value = serde_json::from_slice(entry(&files, "signature.json")).expect("signature");
    assert_eq!(report["key_id"], signature["key_id"]);

    let dpo = app.staff_session("dora", Role::Dpo).await;
    let checkpoint = app.staff_json(&dpo, reqwest::Method::GET, "/v1/audit/checkpoint").await;
    let pinned = checkpoint["public_key"].as_str().expect("public key");
    assert_eq!(signature["public_key"], pinned, "signed with the audit checkpoint key");
    let (ok, report) = cli_verify(&app, &zip, Some(pinned));
    assert!(ok && report["pinned_key_matches"] == true, "{report}");
    let (ok, report) = cli_verify(&app, &zip, Some(&"ab".repeat(32)));
    assert!(!ok && report["pinned_key_matches"] == false, "{report}");

    let (ok, report) = cli_verify(&app, &tampered(&files, "record.json"), None);
    assert!(!ok, "an edited record fails: {report}");
    assert_eq!(report["signature_valid"], false);
    let (ok, report) = cli_verify(&app, &tampered(&files, "crops/document.png"), None);
    assert!(!ok, "an edited crop fails: {report}");
    assert_eq!(report["signature_valid"], true, "{report}");

    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'export_evidence' AND actor = 'sam'").await,
        1
    );
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'view_crop' AND actor = 'sam'").await, 2);
}

#[tokio::test]
async fn verification_packages_go_to_supervisors_and_the_dpo_only() {
    let app = spawn_app().await;
    let id = verify(&app, "SUBJ-EV", tiny_jpeg(), tiny_jpeg()).await;
    let path = format!("/v1/verifications/{id}/evidence");
    let supervisor = app.staff_session("sam", Role::Supervisor).await;
    let zip = package(&app, &supervisor, &path, "anti_fraud").await;
    let files = entries(&zip);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["README.txt", "record.json", "signature.json"]);
    let record: Value = serde_json::from_slice(entry(&files, "record.json")).expect("record");
    assert_eq!(record["kind"], "verification");
    assert!(record["case"].is_null());
    assert_eq!(record["verification"]["client"], "onboarding");
    assert!(record["verification"]["reference_source"].is_null(), "no reference photo was given");
    assert!(!String::from_utf8_lossy(entry(&files, "record.json")).contains("SUBJ-EV"));
    let (ok, report) = cli_verify(&app, &zip, None);
    assert!(ok, "{report}");

    let dpo = app.staff_session("dora", Role::Dpo).await;
    package(&app, &dpo, &path, "identification").await;
    assert_error(export(&app, &app.api_key, &path, "identification").await, 403, "forbidden").await;
    let analyst = app.staff_session("ana", Role::FraudAnalyst).await;
    assert_error(export(&app, &analyst, &path, "anti_fraud").await, 403, "forbidden").await;
    let case = case_of(&app, &id).await;
    assert_error(export(&app, &analyst, &format!("/v1/cases/{case}/evidence"), "anti_fraud").await, 403, "forbidden")
        .await;
    let auditor = app.staff_session("otto", Role::Auditor).await;
    assert_error(export(&app, &auditor, &path, "identification").await, 403, "forbidden").await;
    let unknown = format!("/v1/verifications/{}/evidence", uuid::Uuid::new_v4());
    assert_error(export(&app, &supervisor, &unknown, "anti_fraud").await, 404, "not_found").await;
    assert_error(export(&app, &supervisor, "/v1/cases/nope/evidence", "anti_fraud").await, 404, "not_found").await;
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'export_evidence'").await, 2);
}

#[tokio::test]
async fn evidence_exports_count_towards_the_access_burst_alarm() {
    let app = crate::helpers::spawn_app_with(|s| s.security.burst_threshold = 2).await;
    let id = verify(&app, "SUBJ-BURST", tiny_jpeg(), tiny_jpeg()).await;
    let supervisor = app.staff_session("sam", Role::Supervisor).await;
    for _ in 0..3 {
        package(&app, &supervisor, &format!("/v1/verifications/{id}/evidence"), "anti_fraud").await;
    }
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM security_events WHERE kind = 'access_burst'").await, 1);
}
