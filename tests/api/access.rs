//! Authentication, the role x endpoint permission matrix, and purpose limitation.

use faceverify::policy::{permits, purposes, Permission, Role};
use reqwest::Method;

use crate::helpers::{assert_error, form, spawn_app, tiny_jpeg, TestApp};

struct Endpoint {
    method: Method,
    path: String,
    permission: Permission,
}

/// Everything the matrix's requests need to be valid apart from who sends them.
struct Fixture {
    endpoints: Vec<Endpoint>,
    /// An active consent of SUBJ-2, for the verification request.
    verification_consent: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let verification_consent = app.consent("SUBJ-2").await;
    let mut endpoints = endpoints(app).await;
    endpoints.extend(case_endpoints(app).await);
    Fixture { endpoints, verification_consent }
}

/// A case opened by a face-free verification, for every case endpoint. Its id is read from the store.
async fn flagged_case(app: &TestApp, subject: &str) -> String {
    let meta = app.consented_meta(subject).await;
    let created = app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await;
    let verification: serde_json::Value = created.json().await.expect("json");
    let id = uuid::Uuid::parse_str(verification["verification_id"].as_str().expect("id")).expect("uuid");
    let mut conn = app.store.acquire().await.expect("conn");
    faceverify::store::cases::by_verification(&mut conn, id).await.expect("query").expect("a case").case_id.to_string()
}

async fn case_endpoints(app: &TestApp) -> Vec<Endpoint> {
    let case = flagged_case(app, "SUBJ-4").await;
    let pending = flagged_case(app, "SUBJ-5").await;
    let proposer = app.staff_session("fixture-analyst", Role::FraudAnalyst).await;
    let proposed = app
        .client
        .post(app.url(&format!("/v1/cases/{pending}/decision")))
        .bearer_auth(&proposer)
        .header("X-Purpose", "anti_fraud")
        .json(&serde_json::json!({"outcome": "confirm_fraud", "comment": "fixture"}))
        .send()
        .await
        .expect("request");
    assert_eq!(proposed.status().as_u16(), 200);
    vec![
        Endpoint { method: Method::GET, path: "/v1/cases".into(), permission: Permission::ReadCase },
        Endpoint { method: Method::GET, path: format!("/v1/cases/{case}"), permission: Permission::ReadCase },
        Endpoint {
            method: Method::GET,
            path: format!("/v1/cases/{case}/crops/selfie"),
            permission: Permission::ViewCrop,
        },
        Endpoint {
            method: Method::GET,
            path: format!("/v1/cases/{case}/evidence"),
            permission: Permission::ExportEvidence,
        },
        Endpoint { method: Method::POST, path: format!("/v1/cases/{case}/assign"), permission: Permission::AssignCase },
        Endpoint {
            method: Method::POST,
            path: format!("/v1/cases/{case}/decision"),
            permission: Permission::DecideCase,
        },
        Endpoint {
            method: Method::POST,
            path: format!("/v1/cases/{pending}/decision"),
            permission: Permission::SignOffFraud,
        },
        Endpoint { method: Method::POST, path: format!("/v1/cases/{case}/notes"), permission: Permission::DecideCase },
        Endpoint {
            method: Method::POST,
            path: format!("/v1/cases/{case}/recapture"),
            permission: Permission::DecideCase,
        },
        Endpoint {
            method: Method::POST,
            path: format!("/v1/cases/{case}/blocklist"),
            permission: Permission::SignOffFraud,
        },
        Endpoint { method: Method::GET, path: "/v1/blocklist".into(), permission: Permission::SignOffFraud },
        Endpoint {
            method: Method::POST,
            path: format!("/v1/cases/{case}/allowlist"),
            permission: Permission::SignOffFraud,
        },
        Endpoint { method: Method::GET, path: "/v1/allowlist".into(), permission: Permission::SignOffFraud },
        Endpoint {
            method: Method::DELETE,
            path: format!("/v1/allowlist/{}", uuid::Uuid::new_v4()),
            permission: Permission::SignOffFraud,
        },
        Endpoint {
            method: Method::DELETE,
            path: format!("/v1/blocklist/{}", uuid::Uuid::new_v4()),
            permission: Permission::SignOffFraud,
        },
    ]
}

async fn endpoints(app: &TestApp) -> Vec<Endpoint> {
    let consent = app.consent("SUBJ-1").await;
    let meta = crate::helpers::meta("SUBJ-1", &consent);
    let created = app.post_verification(form(tiny_jpeg(), tiny_jpeg(), &meta)).await;
    assert_eq!(created.status().as_u16(), 201);
    let verification: serde_json::Value = created.json().await.expect("json");
    let id = verification["verification_id"].as_str().expect("id");
    vec![
        Endpoint { method: Method::POST, path: "/v1/verifications".into(), permission: Permission::CreateVerification },
        Endpoint {
            method: Method::GET,
            path: format!("/v1/verifications/{id}"),
            permission: Permission::ReadVerification,
        },
        Endpoint {
            method: Method::GET,
            path: format!("/v1/verifications/{id}/evidence"),
            permission: Permission::ExportEvidence,
        },
        Endpoint { method: Method::POST, path: "/v1/consents".into(), permission: Permission::RecordConsent },
        Endpoint { method: Method::GET, path: format!("/v1/consents/{consent}"), permission: Permission::ReadConsent },
        Endpoint {
            method: Method::DELETE,
            path: format!("/v1/consents/{consent}"),
            permission: Permission::WithdrawConsent,
        },
        Endpoint { method: Method::GET, path: "/v1/audit/export".into(), permission: Permission::ExportAudit },
        Endpoint { method: Method::GET, path: "/v1/audit/verify".into(), permission: Permission::VerifyAudit },
        Endpoint { method: Method::GET, path: "/v1/audit/checkpoint".into(), permission: Permission::VerifyAudit },
        Endpoint {
            method: Method::GET,
            path: "/v1/subjects/SUBJ-6/residue".into(),
            permission: Permission::EraseSubject,
        },
        Endpoint { method: Method::DELETE, path: "/v1/subjects/SUBJ-6".into(), permission: Permission::EraseSubject },
        Endpoint {
            method: Method::GET,
            path: "/v1/security/events".into(),
            permission: Permission::ReadSecurityEvents,
        },
        Endpoint {
            method: Method::GET,
            path: "/v1/security/incident".into(),
            permission: Permission::ReadSecurityEvents,
        },
    ]
}

async fn token_for(app: &TestApp, role: Role) -> String {
    match role {
        Role::Onboarding => app.api_key.clone(),
        staff => app.staff_session(&format!("user-{}", staff.as_str().replace('_', "-")), staff).await,
    }
}

async fn call(app: &TestApp, e: &Endpoint, fixture: &Fixture, token: &str, role: Role) -> reqwest::Response {
    let purpose = purposes(role)[0].as_str();
    let request =
        app.client.request(e.method.clone(), app.url(&e.path)).bearer_auth(token).header("X-Purpose", purpose);
    let request = match (e.method.as_str(), e.path.as_str()) {
        ("POST", "/v1/verifications") => {
            let consent = &fixture.verification_consent;
            let meta = format!(r#"{{"applicant_ref":"SUBJ-2","purpose":"{purpose}","consent_ref":"{consent}"}}"#);
            request.multipart(form(tiny_jpeg(), tiny_jpeg(), &meta))
        }
        ("POST", "/v1/consents") => request.json(&serde_json::json!({
            "subject_ref": "SUBJ-3", "channel": "checkbox", "text_version": "v1", "cross_border": false
        })),
        ("POST", path) if path.ends_with("/decision") => {
            request.json(&serde_json::json!({"outcome": "confirm_fraud", "comment": "matrix"}))
        }
        ("POST", path) if path.ends_with("/notes") => request.json(&serde_json::json!({"text": "matrix"})),
        _ => request,
    };
    request.send().await.expect("request")
}

#[tokio::test]
async fn every_role_reaches_exactly_the_endpoints_its_permissions_allow() {
    let app = spawn_app().await;
    let fixture = fixture(&app).await;
    for permission in Permission::ALL {
        assert!(
            fixture.endpoints.iter().any(|e| e.permission == permission),
            "{permission:?} has no endpoint in the matrix"
        );
    }
    for role in Role::ALL {
        let token = token_for(&app, role).await;
        for e in &fixture.endpoints {
            let response = call(&app, e, &fixture, &token, role).await;
            let status = response.status().as_u16();
            if permits(role, e.permission) {
                assert!(
                    status != 401 && status != 403,
                    "{role:?} {} {} should be allowed, got {status}",
                    e.method,
                    e.path
                );
            } else {
                let body = assert_error(response, 403, "forbidden").await;
                assert!(body["message"].is_string(), "{role:?} {} {}", e.method, e.path);
            }
        }
    }
}

#[tokio::test]
async fn requests_without_valid_credentials_are_401() {
    let app = spawn_app().await;
    let no_auth = app.client.get(app.url("/v1/audit/export")).send().await.expect("request");
    assert_error(no_auth, 401, "unauthenticated").await;
    let mut forged = app.api_key.clone();
    let last = forged.pop().expect("non-empty");
    forged.push(if last == '0' { '1' } else { '0' });
    let tampered = app.client.post(app.url("/v1/consents")).bearer_auth(forged).send().await.expect("request");
    assert_error(tampered, 401, "unauthenticated").await;
    let junk = app.client.get(app.url("/v1/audit/export")).bearer_auth("fvs_nonsense").send().await.expect("request");
    assert_error(junk, 401, "unauthenticated").await;
}

#[tokio::test]
async fn staff_need_password_and_a_fresh_totp_code() {
    let app = spawn_app().await;
    let password = "correct horse battery staple";
    let totp =
        faceverify::auth::create_staff(&app.store, &app.kek, "ana", Role::FraudAnalyst, password).await.expect("staff");
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    let code = totp.code_at(now / faceverify::auth::TOTP_STEP_SECS);
    assert_error(app.login("ana", "wrong password", &code).await, 401, "invalid_credentials").await;
    assert_error(app.login("ana", password, "000000").await, 401, "invalid_credentials").await;
    assert_error(app.login("nobody", password, &code).await, 401, "invalid_credentials").await;
    let ok = app.login("ana", password, &code).await;
    assert_eq!(ok.status().as_u16(), 200);
    let cookie = ok.headers().get("set-cookie").and_then(|v| v.to_str().ok()).expect("cookie").to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert_error(app.login("ana", password, &code).await, 401, "invalid_credentials").await;
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed'").await, 4);
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM audit_log WHERE action = 'login' AND actor = 'ana'").await, 1);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let token = app.staff_session("aud", Role::Auditor).await;
    let export = || app.client.get(app.url("/v1/audit/export")).bearer_auth(&token).header("X-Purpose", "anti_fraud");
    assert_eq!(export().send().await.expect("request").status().as_u16(), 200);
    let out = app.client.post(app.url("/v1/auth/logout")).bearer_auth(&token).send().await.expect("request");
    assert_eq!(out.status().as_u16(), 204);
    assert_error(export().send().await.expect("request"), 401, "unauthenticated").await;
}

#[tokio::test]
async fn each_role_may_declare_only_its_purposes() {
    let app = spawn_app().await;
    let consent = app.consent("SUBJ-9").await;
    let analyst = app.staff_session("ana", Role::FraudAnalyst).await;
    let read = |purpose: Option<&str>| {
        let mut r = app.client.get(app.url(&format!("/v1/consents/{consent}"))).bearer_auth(&app.api_key);
        if let Some(p) = purpose {
            r = r.header("X-Purpose", p);
        }
        r
    };
    assert_eq!(read(Some("identification")).send().await.expect("request").status().as_u16(), 200);
    assert_error(read(None).send().await.expect("request"), 403, "purpose_not_permitted").await;
    assert_error(read(Some("marketing")).send().await.expect("request"), 403, "purpose_not_permitted").await;
    let verify = |purpose: &str| {
        app.client
            .get(app.url("/v1/verifications/00000000-0000-0000-0000-000000000000"))
            .bearer_auth(&analyst)
            .header("X-Purpose", purpose)
    };
    assert_error(verify("identification").send().await.expect("request"), 403, "purpose_not_permitted").await;
    assert_error(verify("anti_fraud").send().await.expect("request"), 404, "not_found").await;
}
