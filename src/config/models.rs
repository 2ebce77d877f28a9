//! The `[models]` section: where the models are, how many inference workers, admission and batching.

use std::path::PathBuf;

use serde::Deserialize;

use super::Invalid;
use crate::pipeline::{Device, SessionOptions};

#[derive(Debug, Clone, Deserialize)]
pub struct ModelSettings {
    pub dir: PathBuf,
    pub ort_dylib: PathBuf,
    pub device: Device,
    pub workers: usize,
    pub intra_threads: usize,
    pub max_in_flight: usize,
    /// Faces per SFace run across concurrent requests (1: no batching; for the GPU).
    pub embed_batch: usize,
    /// How long the batcher waits after a batch's first face for more.
    pub embed_batch_wait_us: u64,
}

impl ModelSettings {
    pub fn session_options(&self) -> SessionOptions {
        SessionOptions { intra_threads: self.intra_threads, device: self.device }
    }

    /// `ORT_DYLIB_PATH` (the variable ort itself documents) wins over the configured path.
    /// `workers = 0`: one per CPU core (each runs one photo of a verification at a time, its sessions on one
    /// intra-op thread: on small machines more threads per session measured slower, docs/benchmarks.md);
    /// `max_in_flight = 0`: four verifications per worker.
    pub(super) fn size_for_this_machine(&mut self) {
        if self.workers == 0 {
            self.workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(64);
        }
        if self.max_in_flight == 0 {
            self.max_in_flight = 4 * self.workers;
        }
    }

    pub fn dylib(&self) -> PathBuf {
        std::env::var_os("ORT_DYLIB_PATH").map(PathBuf::from).unwrap_or_else(|| self.ort_dylib.clone())
    }

    pub(super) fn validate(&self) -> Result<(), Invalid> {
        if self.workers == 0 || self.workers > 64 {
            return Err(Invalid::new("workers", "must be 1..=64"));
        }
        if self.intra_threads == 0 {
            return Err(Invalid::new("intra_threads", "must be at least 1"));
        }
        if self.embed_batch == 0 || self.embed_batch > 64 {
            return Err(Invalid::new("embed_batch", "must be 1..=64"));
        }
        if self.max_in_flight == 0 {
            return Err(Invalid::new("max_in_flight", "must be at least 1"));
        }
        Ok(())
    }
}
