//! The OpenAPI document, generated from the handlers, against the running app: the committed copy
//! (openapi/openapi.json) is what the app serves and its references resolve, every documented operation reaches a handler, and every documented
//! path answers another method with 405 and the documented methods in `Allow`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::helpers::spawn_app;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");

/// Methods per documented path.
fn operations(spec: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut ops = BTreeMap::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        let methods = item.as_object().expect("path item").keys().map(|m| m.to_uppercase()).collect();
        ops.insert(path.clone(), methods);
    }
    ops
}

/// `path` with a fresh uuid in place of each `{parameter}`.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { uuid::Uuid::new_v4().to_string() } else { s.to_owned() })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every `$ref` in `value`.
fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                found.push(r.clone());
            }
            map.values().for_each(|v| references(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_committed_document_is_the_one_the_app_generates() {
    let app = spawn_app().await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    let served = response.text().await.expect("body");
    let spec: Value = serde_json::from_str(&served).expect("valid JSON");
    assert_eq!(spec["openapi"], "3.1.0");
    let mut refs = Vec::new();
    references(&spec, &mut refs);
    for reference in refs {
        let name = reference.strip_prefix("#/components/schemas/").expect("a schema reference");
        assert!(spec["components"]["schemas"].get(name).is_some(), "{reference} names no schema");
    }
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &served).expect("write openapi/openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == served,
        "openapi/openapi.json differs from the document the handlers generate; regenerate it with\n    \
         UPDATE_OPENAPI=1 cargo test --test api openapi\nand commit the result"
    );
}

#[tokio::test]
async fn every_documented_operation_reaches_a_handler_and_other_methods_get_405() {
    let app = spawn_app().await;
    let spec: Value = app.get("/openapi.json").await.json().await.expect("json");
    let ops = operations(&spec);
    assert!(ops.values().map(BTreeSet::len).sum::<usize>() >= 20, "the document lists the operations: {ops:?}");
    for (path, methods) in &ops {
        let url = app.url(&concrete(path));
        for method in methods {
            let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
            let response = app.client.request(method.clone(), &url).send().await.expect("request");
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            assert!(status != 404 && status != 405, "{method} {path} reaches no handler ({status} {body})");
        }
        let other = ["GET", "POST", "PUT", "DELETE", "PATCH"].into_iter().find(|m| !methods.contains(*m));
        let other = reqwest::Method::from_bytes(other.expect("an undocumented method").as_bytes()).expect("method");
        let response = app.client.request(other.clone(), &url).send().await.expect("request");
        assert_eq!(response.status(), 405, "{other} {path}");
        let allow = response.headers().get("allow").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let expected = methods.iter().map(String::as_str).collect::<Vec<_>>().join(", ");
        assert_eq!(allow, expected, "Allow of {path}");
        let error: Value = response.json().await.expect("json error");
        assert_eq!(error["code"], "method_not_allowed", "{other} {path}");
    }
}
