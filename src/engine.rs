//! Loading the models into a pool of warmed-up inference workers, shared by `serve`, `verify` and `eval`.

use std::sync::Arc;
use std::time::Instant;

use crate::config::Settings;
use crate::pipeline::batch::EmbedBatcher;
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
    let batcher = match settings.models.embed_batch {
        0 | 1 => None,
        max => {
            let wait = std::time::Duration::from_micros(settings.models.embed_batch_wait_us);
            Some(EmbedBatcher::load(&files, &dylib, &opts, max, wait)?)
        }
    };
    let mut pipelines = Vec::with_capacity(settings.models.workers);
    for _ in 0..settings.models.workers {
        let mut pipeline = Pipeline::load_with(&files, &dylib, &opts, settings.pipeline.clone(), batcher.clone())?;
        pipeline.warm_up()?;
        pipelines.push(pipeline);
    }
    crate::metrics::set_model_load(started.elapsed());
    tracing::info!(
        workers = settings.models.workers,
        embed_batch = settings.models.embed_batch,
        device = ?settings.models.device,
        load_ms = started.elapsed().as_millis() as u64,
        "models verified, loaded and warmed up"
    );
    Ok(Arc::new(InferencePool::start(pipelines)))
}
