//! The `[models]` section: where the models are, how many inference workers, admission and batching.

use std::path::PathBuf;

use serde::Deserialize;

use super::Invalid;
use crate::pipeline::batch::BatchSizes;
use crate::pipeline::{Device, SessionOptions};

#[derive(Debug, Clone, Deserialize)]
pub struct ModelSettings {
    pub dir: PathBuf,
    pub ort_dylib: PathBuf,
    pub device: Device,
    pub workers: usize,
    pub intra_threads: usize,
    pub max_in_flight: usize,
    /// Photos per detector run across concurrent requests (1: no batching; for the GPU).
    pub detect_batch: usize,
    /// Selfies per liveness run (both models) across concurrent requests (1: no batching; for the GPU).
    pub liveness_batch: usize,
    /// Faces per SFace run across concurrent requests (1: no batching; for the GPU).
    pub embed_batch: usize,
    /// How long a batcher waits after a batch's first sample for more.
    pub batch_wait_us: u64,
    /// `batch_wait_us` under its name from when only SFace had a batcher: a settings file that still sets it is
    /// honoured (`size_for_this_machine`), not refused.
    #[serde(default)]
    embed_batch_wait_us: Option<u64>,
    /// Sessions per batcher, each on its own thread (on CUDA, its own stream), taking batches from one queue.
    pub batch_streams: usize,
}

impl ModelSettings {
    pub fn session_options(&self) -> SessionOptions {
        SessionOptions { intra_threads: self.intra_threads, device: self.device }
    }

    pub fn batch_sizes(&self) -> BatchSizes {
        BatchSizes {
            detect: self.detect_batch,
            liveness: self.liveness_batch,
            embed: self.embed_batch,
            wait: std::time::Duration::from_micros(self.batch_wait_us),
            streams: self.batch_streams,
            pad: self.device == Device::Cuda,
        }
    }

    /// `ORT_DYLIB_PATH` (the variable ort itself documents) wins over the configured path.
    /// `workers = 0`: one per CPU core (each runs one photo of a verification at a time, its sessions on one
    /// intra-op thread: on small machines more threads per session measured slower, docs/benchmarks.md);
    /// `max_in_flight = 0`: four verifications per worker.
    pub(super) fn size_for_this_machine(&mut self) {
        if let Some(wait) = self.embed_batch_wait_us.take() {
            self.batch_wait_us = wait;
        }
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
        for (name, batch) in [
            ("detect_batch", self.detect_batch),
            ("liveness_batch", self.liveness_batch),
            ("embed_batch", self.embed_batch),
        ] {
            if batch == 0 || batch > 64 {
                return Err(Invalid::new(name, "must be 1..=64"));
            }
        }
        if self.batch_streams == 0 || self.batch_streams > 16 {
            return Err(Invalid::new("batch_streams", "must be 1..=16"));
        }
        if self.max_in_flight == 0 {
            return Err(Invalid::new("max_in_flight", "must be at least 1"));
        }
        Ok(())
    }
}
