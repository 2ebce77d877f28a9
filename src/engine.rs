//! Loading the models into a pool of warmed-up inference workers, shared by `serve`, `verify` and `eval`.

use std::sync::Arc;
use std::time::Instant;

use crate::config::Settings;
use crate::pipeline::batch::Batchers;
use crate::pipeline::pool::InferencePool;
use crate::pipeline::{InferenceError, ModelError, ModelFiles, Pipeline};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("warm-up failed: {0}")]
    WarmUp(#[from] InferenceError),
}

/// Verifies every model hash, loads one pipeline per worker, runs each once, then starts the workers.
pub fn start(settings: &Settings) -> Result<Arc<InferencePool>, EngineError> {
    let started = Instant::now();
    let files = ModelFiles::verified(&settings.models.dir)?;
    let dylib = settings.models.dylib();
    let opts = settings.models.session_options();
    let batchers = Batchers::load(&files, &dylib, &opts, &settings.models.batch_sizes())?;
    let mut pipelines = Vec::with_capacity(settings.models.workers);
    for _ in 0..settings.models.workers {
        let mut pipeline = Pipeline::load_with(&files, &dylib, &opts, settings.pipeline.clone(), &batchers)?;
        pipeline.warm_up()?;
        pipelines.push(pipeline);
    }
    crate::metrics::set_model_load(started.elapsed());
    tracing::info!(
        workers = settings.models.workers,
        detect_batch = settings.models.detect_batch,
        liveness_batch = settings.models.liveness_batch,
        embed_batch = settings.models.embed_batch,
        batch_streams = settings.models.batch_streams,
        device = ?settings.models.device,
        load_ms = started.elapsed().as_millis() as u64,
        "models verified, loaded and warmed up"
    );
    Ok(Arc::new(InferencePool::start(pipelines)))
}
