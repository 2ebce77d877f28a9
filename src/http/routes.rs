//! Which methods a path answers, read from the OpenAPI document generated from the handlers (tests/api/openapi.rs
//! holds it to the running app both ways). A known path asked with another method is 405 with `Allow`, not 404.

use std::sync::OnceLock;

struct Documented {
    segments: Vec<String>,
    methods: Vec<String>,
}

/// The keys of a path item that are operations (the others: summary, description, parameters, servers).
const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn documented() -> &'static [Documented] {
    static PATHS: OnceLock<Vec<Documented>> = OnceLock::new();
    PATHS.get_or_init(|| {
        let spec: serde_json::Value = serde_json::from_str(super::openapi::json()).unwrap_or_default();
        let Some(paths) = spec.get("paths").and_then(|p| p.as_object()) else { return Vec::new() };
        paths
            .iter()
            .map(|(path, item)| Documented {
                segments: path.split('/').map(str::to_owned).collect(),
                methods: item.as_object().map_or_else(Vec::new, |item| {
                    item.keys().filter(|k| METHODS.contains(&k.as_str())).map(|m| m.to_uppercase()).collect()
                }),
            })
            .collect()
    })
}

fn matches(template: &[String], path: &str) -> bool {
    let mut segments = path.split('/');
    let fits = template.iter().all(|t| match segments.next() {
        Some(s) if t.starts_with('{') => !s.is_empty(),
        Some(s) => s == t,
        None => false,
    });
    fits && segments.next().is_none()
}

/// The `Allow` value for `path` ("GET, DELETE"), if the API documents it.
pub(crate) fn allowed(path: &str) -> Option<String> {
    let mut methods: Vec<&str> = documented()
        .iter()
        .filter(|d| matches(&d.segments, path))
        .flat_map(|d| d.methods.iter().map(String::as_str))
        .collect();
    methods.sort_unstable();
    methods.dedup();
    (!methods.is_empty()).then(|| methods.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_paths_give_their_methods_and_templates_match_one_segment() {
        assert_eq!(allowed("/v1/consents").as_deref(), Some("POST"));
        assert_eq!(allowed("/v1/consents/abc").as_deref(), Some("DELETE, GET"));
        assert_eq!(allowed("/v1/cases/x/crops/selfie").as_deref(), Some("GET"));
        assert_eq!(allowed("/healthz").as_deref(), Some("GET"));
        for unknown in ["/v1/consents/", "/v1/consents/a/b", "/v1/nothing", "/", "/console"] {
            assert_eq!(allowed(unknown), None, "{unknown}");
        }
    }
}
