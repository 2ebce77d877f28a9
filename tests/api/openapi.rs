//! The OpenAPI document against the routes: every documented operation reaches a real handler, and every route
//! declared in src/http is documented.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::spawn_app;

fn spec() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json")).expect("spec");
    serde_json::from_str(&text).expect("valid JSON")
}

fn operations(spec: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            ops.insert((method.to_uppercase(), path.clone()));
        }
    }
    ops
}

/// `(METHOD, path)` of every `.route("..", web::method())` and `web::resource("..")...route(web::method())` in
/// src/http; everything but health.rs sits under the /v1 scope.
fn declared_routes() -> BTreeSet<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http");
    let mut routes = BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("src/http") {
        let path = entry.expect("entry").path();
        let source = std::fs::read_to_string(&path).expect("source");
        let prefix = if path.ends_with("health.rs") { "" } else { "/v1" };
        let mut resource: Option<String> = None;
        for line in source.lines() {
            if let Some(rest) = line.split("web::resource(\"").nth(1) {
                resource = rest.split('"').next().map(str::to_owned);
            }
            // `.route("PATH", web::METHOD()`, possibly several on one line.
            for call in line.split(".route(\"").skip(1) {
                let (path, tail) = call.split_once('"').unwrap_or((call, ""));
                if let Some(method) = tail.split("web::").nth(1).and_then(|m| m.split("()").next()) {
                    routes.insert((method.to_uppercase(), format!("{prefix}{path}")));
                }
            }
            // `web::resource("PATH")....route(web::METHOD()`.
            for call in line.split(".route(web::").skip(1) {
                if let (Some(method), Some(path)) = (call.split("()").next(), resource.as_ref()) {
                    routes.insert((method.to_uppercase(), format!("{prefix}{path}")));
                }
            }
        }
    }
    routes
}

#[test]
fn every_declared_route_is_documented() {
    let documented = operations(&spec());
    let declared = declared_routes();
    assert!(declared.len() >= 20, "the scan found the routes: {declared:?}");
    let missing: Vec<_> = declared.difference(&documented).collect();
    assert!(missing.is_empty(), "routes missing from openapi/openapi.json: {missing:?}");
}

#[tokio::test]
async fn every_documented_operation_reaches_a_handler_and_the_document_is_served() {
    let app = spawn_app().await;
    let served: Value = app.get("/openapi.json").await.json().await.expect("json");
    assert_eq!(served, spec());
    for (method, path) in operations(&spec()) {
        let concrete = path
            .replace("{id}", &uuid::Uuid::new_v4().to_string())
            .replace("{kind}", "selfie")
            .replace("{subject}", "SUBJ-1");
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let response = app.client.request(method.clone(), app.url(&concrete)).send().await.expect("request");
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        let unmatched = status == 405 || (status == 404 && body.contains("no such resource"));
        assert!(!unmatched, "{method} {path} reaches no handler ({status} {body})");
    }
}
