//! What every answer carries: errors as `{code, message}` (HTML pages with the code under /console) whatever part
//! of the stack refused the request, `Allow` on 405, `nosniff` everywhere and `no-store` on the API.

use faceverify::policy::Role;
use reqwest::{Method, Response};

use crate::helpers::{spawn_app, TestApp};

struct Bad {
    method: Method,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
    allow: Option<&'static str>,
}

fn bad(method: Method, path: impl Into<String>, status: u16, code: &'static str) -> Bad {
    Bad { method, path: path.into(), content_type: None, body: Vec::new(), status, code, allow: None }
}

impl Bad {
    fn body(mut self, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        self.content_type = Some(content_type);
        self.body = body.into();
        self
    }

    fn allow(mut self, methods: &'static str) -> Self {
        self.allow = Some(methods);
        self
    }

    async fn send(&self, app: &TestApp, token: &str) -> Response {
        let mut request = app
            .client
            .request(self.method.clone(), app.url(&self.path))
            .header("cookie", format!("fv_session={token}"))
            .header("X-Purpose", "anti_fraud");
        if let Some(content_type) = self.content_type {
            request = request.header("content-type", content_type).body(self.body.clone());
        }
        request.send().await.expect("request")
    }
}

fn header(response: &Response, name: &str) -> String {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

#[tokio::test]
async fn every_refusal_is_json_with_a_stable_code_and_405_names_the_allowed_methods() {
    let app = spawn_app().await;
    let token = app.staff_session("ana", Role::FraudAnalyst).await;
    let case = uuid::Uuid::new_v4();
    let table = [
        bad(Method::GET, "/v1/cases?limit=abc", 400, "invalid_query"),
        bad(Method::GET, "/v1/cases?limit=1&limit=2", 400, "invalid_query"),
        bad(Method::POST, "/v1/auth/login", 413, "payload_too_large").body("application/json", vec![b' '; 1 << 20]),
        bad(Method::POST, "/v1/auth/login", 400, "invalid_body").body("application/json", "{"),
        // A cross-site form can send text/plain without a preflight: no login from it (login CSRF).
        bad(Method::POST, "/v1/auth/login", 415, "unsupported_media_type")
            .body("text/plain", r#"{"username":"a","password":"b","totp":"1"}"#),
        bad(Method::PUT, "/v1/consents", 405, "method_not_allowed").allow("POST"),
        bad(Method::DELETE, "/v1/verifications", 405, "method_not_allowed").allow("POST"),
        bad(Method::PUT, format!("/v1/verifications/{case}"), 405, "method_not_allowed").allow("GET"),
        bad(Method::PATCH, format!("/v1/consents/{case}"), 405, "method_not_allowed").allow("DELETE, GET"),
        bad(Method::PUT, format!("/v1/cases/{case}/decision"), 405, "method_not_allowed").allow("POST"),
        bad(Method::POST, "/healthz", 405, "method_not_allowed").allow("GET"),
        bad(Method::GET, "/v1/nothing-here", 404, "not_found"),
        bad(Method::PUT, "/v1/nothing-here", 404, "not_found"),
    ];
    for case in &table {
        let response = case.send(&app, &token).await;
        let what = format!("{} {}", case.method, case.path);
        assert_eq!(response.status().as_u16(), case.status, "{what}");
        assert!(header(&response, "content-type").starts_with("application/json"), "{what}");
        if let Some(allow) = case.allow {
            assert_eq!(header(&response, "allow"), allow, "{what}");
        }
        let body: serde_json::Value = response.json().await.unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
        assert_eq!(body["code"], case.code, "{what}: {body}");
        assert!(body["message"].is_string(), "{what}: {body}");
    }
}

#[tokio::test]
async fn console_refusals_are_html_pages_with_the_code() {
    let app = spawn_app().await;
    let token = app.staff_session("ana", Role::FraudAnalyst).await;
    let case = uuid::Uuid::new_v4();
    let form = "application/x-www-form-urlencoded";
    let table = [
        bad(Method::POST, "/console/logout", 403, "csrf_failed").body(form, ""),
        bad(Method::POST, format!("/console/cases/{case}/decision"), 403, "csrf_failed")
            .body(form, "outcome=clear&comment=x"),
        bad(Method::POST, "/console/login", 415, "unsupported_media_type").body("text/plain", "username=a"),
        bad(Method::POST, format!("/console/cases/{case}/decision"), 400, "invalid_body").body(form, "csrf=x"),
        bad(Method::PUT, "/console/login", 405, "method_not_allowed").allow("GET, POST"),
        bad(Method::GET, "/console/logout", 405, "method_not_allowed").allow("POST"),
        bad(Method::GET, "/console/nothing-here", 404, "not_found"),
    ];
    for case in &table {
        let response = case.send(&app, &token).await;
        let what = format!("{} {}", case.method, case.path);
        assert_eq!(response.status().as_u16(), case.status, "{what}");
        assert!(header(&response, "content-type").starts_with("text/html"), "{what}");
        assert!(header(&response, "content-security-policy").contains("default-src 'self'"), "{what}");
        if let Some(allow) = case.allow {
            assert_eq!(header(&response, "allow"), allow, "{what}");
        }
        let page = response.text().await.expect("page");
        assert!(page.contains(&format!(r#"id="error-code">{}<"#, case.code)), "{what}: {page}");
    }
}

#[tokio::test]
async fn every_answer_is_nosniff_and_api_answers_are_not_cached() {
    let app = spawn_app().await;
    let analyst = app.staff_session("ana", Role::FraudAnalyst).await;
    let auditor = app.staff_session("aud", Role::Auditor).await;
    let as_staff = |path: &str, token: &str| {
        app.client.get(app.url(path)).bearer_auth(token).header("X-Purpose", "anti_fraud").send()
    };
    let answers = [
        ("/v1/cases", as_staff("/v1/cases", &analyst).await.expect("request"), true),
        ("/v1/audit/export", as_staff("/v1/audit/export", &auditor).await.expect("request"), true),
        ("/v1/cases unauthenticated", app.get("/v1/cases").await, true),
        ("/v1/nothing", app.get("/v1/nothing").await, true),
        ("/healthz", app.get("/healthz").await, false),
        ("/metrics", app.get("/metrics").await, false),
        ("/openapi.json", app.get("/openapi.json").await, false),
        ("/nothing", app.get("/nothing").await, false),
        ("/console/login", app.get("/console/login").await, false),
    ];
    for (what, response, api) in answers {
        assert_eq!(header(&response, "x-content-type-options"), "nosniff", "{what}");
        if api {
            assert_eq!(header(&response, "cache-control"), "no-store", "{what}");
        }
    }
}
