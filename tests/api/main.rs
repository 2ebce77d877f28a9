#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

//! One test binary: every module shares the inference pool and the telemetry set-up in `helpers`.

mod access;
mod acquisition;
mod allowlist;
mod audit_keyed;
mod audit_log;
mod bad_input;
mod batching;
mod blocklist;
mod case_work;
mod cases;
mod clients;
mod consent;
mod console;
mod console_csrf;
mod console_languages;
mod dashboard;
mod documents;
mod edges;
mod erasure_residue;
mod eval_accuracy;
mod evidence;
mod faults;
mod health;
mod helpers;
mod kek_check;
mod login_limits;
mod openapi;
mod reference;
mod reference_photo;
mod replicas;
mod retention;
mod revocation;
mod service_keys;
mod startup;
mod store;
mod subjects;
mod uploads;
mod vault;
mod verifications;
mod webhook;
