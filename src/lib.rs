//! faceverify: selfie vs ID-document verification on real ONNX models, returning only a decision.

pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod console;
pub mod decision;
pub mod document;
pub mod domain;
pub mod engine;
pub mod error;
pub mod gallery;
pub mod http;
pub mod i18n;
pub mod metrics;
pub mod notify;
pub mod oversight;
pub mod pipeline;
pub mod policy;
pub mod privacy;
pub mod retention;
pub mod review;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod vault;
pub mod verification;
