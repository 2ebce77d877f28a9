//! The deployment files (deploy/) agree with the service: probes on its health paths, a grace period longer than
//! its shutdown timeout, non-root and read-only, secrets only by reference, and every FACEVERIFY__ variable naming
//! a real setting. No cluster or Docker engine is needed: the manifests are parsed, not applied.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::Path;

use serde_yaml::Value;

fn load(rel: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    serde_yaml::from_str(&std::fs::read_to_string(&path).expect("read")).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn defaults() -> toml::Value {
    toml::from_str(&defaults_text()).expect("toml")
}

fn defaults_text() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml")).expect("read")
}

/// `FACEVERIFY__SECTION__KEY` names a setting of config/default.toml: a key of its section, or an optional one
/// shown there commented out (`# kek_file = ...`).
fn assert_real_setting(name: &str) {
    let path: Vec<String> = name.trim_start_matches("FACEVERIFY__").split("__").map(str::to_lowercase).collect();
    let [section, key] = &path[..] else { panic!("{name}: not SECTION__KEY") };
    let text = defaults_text();
    let start = text.find(&format!("\n[{section}]\n")).unwrap_or_else(|| panic!("{name}: no section [{section}]"));
    let body = &text[start + section.len() + 4..];
    let body = &body[..body.find("\n[").unwrap_or(body.len())];
    let named = body.lines().any(|l| {
        let l = l.trim_start_matches('#').trim_start();
        l.strip_prefix(key.as_str()).is_some_and(|rest| rest.trim_start().starts_with('='))
    });
    assert!(named, "{name}: no setting {section}.{key} in config/default.toml");
}

#[test]
fn the_kubernetes_deployment_matches_the_service() {
    let deployment = load("deploy/kubernetes/deployment.yaml");
    let defaults = defaults();
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let security = &container["securityContext"];
    assert_eq!(security["runAsNonRoot"], Value::Bool(true));
    assert_eq!(security["readOnlyRootFilesystem"], Value::Bool(true));
    assert_eq!(security["allowPrivilegeEscalation"], Value::Bool(false));
    assert_eq!(container["readinessProbe"]["httpGet"]["path"].as_str(), Some("/readyz"));
    assert_eq!(container["livenessProbe"]["httpGet"]["path"].as_str(), Some("/healthz"));
    assert!(container["resources"]["requests"]["memory"].as_str().is_some());
    let shutdown = defaults["server"]["shutdown_timeout_secs"].as_integer().expect("shutdown timeout");
    let grace = pod["terminationGracePeriodSeconds"].as_i64().expect("grace period");
    assert!(grace > shutdown, "the pod must outlive the service's own shutdown ({grace} s vs {shutdown} s)");
    let mut kek_file = None;
    for var in container["env"].as_sequence().expect("env") {
        let name = var["name"].as_str().expect("name");
        assert_real_setting(name);
        if name == "FACEVERIFY__DATABASE__URL" {
            assert!(var.get("value").is_none(), "the database URL (with its password) comes from the Secret");
        }
        if name == "FACEVERIFY__VAULT__KEK_FILE" {
            kek_file = var["value"].as_str().map(str::to_owned);
        }
    }
    // The KEK the service reads is the owner-only copy the init container makes.
    let init = pod["initContainers"][0]["command"][2].as_str().expect("init command");
    let kek_file = kek_file.expect("KEK file set");
    let dir = Path::new(&kek_file).parent().expect("dir").to_str().expect("utf8");
    assert!(init.contains("-m 0600") && init.contains(&format!("{dir}/")), "{init}");
    let pdb = load("deploy/kubernetes/pdb.yaml");
    assert_eq!(pdb["spec"]["selector"], deployment["spec"]["selector"]);
    assert!(pdb["spec"]["minAvailable"].as_i64().expect("minAvailable") >= 1);
    let secret = load("deploy/kubernetes/secret.example.yaml");
    for (key, value) in secret["stringData"].as_mapping().expect("stringData") {
        assert!(value.as_str().expect("text").contains("REPLACE"), "{key:?} is a placeholder, not a secret");
    }
}

#[test]
fn the_compose_file_runs_two_replicas_on_one_database() {
    let compose = load("deploy/compose.yaml");
    let defaults = defaults();
    let services = compose["services"].as_mapping().expect("services");
    let replicas: Vec<&Value> = services
        .iter()
        .filter(|(name, _)| name.as_str().is_some_and(|n| n.starts_with("replica")))
        .map(|(_, s)| s)
        .collect();
    assert_eq!(replicas.len(), 2);
    let shutdown = defaults["server"]["shutdown_timeout_secs"].as_integer().expect("shutdown timeout");
    for replica in replicas {
        let env = replica["environment"].as_mapping().expect("environment");
        for name in env.keys() {
            assert_real_setting(name.as_str().expect("name"));
        }
        assert!(env[&Value::from("FACEVERIFY__DATABASE__URL")].as_str().expect("url").starts_with("postgres://"));
        let grace = replica["stop_grace_period"].as_str().expect("grace").trim_end_matches('s').parse::<i64>();
        assert!(grace.expect("seconds") > shutdown);
        assert_eq!(replica["read_only"], Value::Bool(true));
    }
}
