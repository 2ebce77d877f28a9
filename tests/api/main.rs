#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

//! One test binary: every module shares the inference pool and the telemetry set-up in `helpers`.

mod access;
mod audit_log;
mod bad_input;
mod batching;
mod cases;
mod consent;
mod console;
mod console_csrf;
mod edges;
mod eval_accuracy;
mod faults;
mod health;
mod helpers;
mod openapi;
mod reference;
mod retention;
mod startup;
mod store;
mod subjects;
mod uploads;
mod vault;
mod verifications;
mod webhook;
