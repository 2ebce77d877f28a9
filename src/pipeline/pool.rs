//! Dedicated inference threads. Each worker owns one `Pipeline` (ONNX sessions need `&mut`), jobs arrive over a
//! channel and carry the caller's span; the async side awaits a oneshot reply and never blocks the executor.
//! Admission control (how many jobs may be in flight) is the caller's: see `http::admission`.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;
use tracing::Span;

use super::Pipeline;

type Job = Box<dyn FnOnce(&mut Pipeline) + Send>;

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("all inference workers have stopped")]
    Stopped,
    #[error("the inference job panicked")]
    JobPanicked,
}

pub struct InferencePool {
    /// Taken (dropped) by `shutdown`: the workers finish what is queued, then their loops end.
    sender: Mutex<Option<crossbeam_channel::Sender<Job>>>,
    alive: Arc<AtomicUsize>,
    workers: usize,
    handles: Mutex<Vec<std::thread::JoinHandle<()>>>,
    /// The recognition model of every worker's pipeline (one manifest loaded them all).
    template_space: super::TemplateSpace,
}

impl InferencePool {
    /// Starts one thread per pipeline.
    pub fn start(pipelines: Vec<Pipeline>) -> Self {
        let (sender, receiver) = crossbeam_channel::unbounded::<Job>();
        let alive = Arc::new(AtomicUsize::new(0));
        let workers = pipelines.len();
        // A pool without workers embeds nothing; SFace's space is as good as any for it.
        let template_space = pipelines.first().map_or_else(super::TemplateSpace::sface, |p| p.template_space().clone());
        let mut handles = Vec::with_capacity(workers);
        for (i, mut pipeline) in pipelines.into_iter().enumerate() {
            let receiver = receiver.clone();
            let alive = Arc::clone(&alive);
            alive.fetch_add(1, Ordering::SeqCst);
            let spawned = std::thread::Builder::new().name(format!("inference-{i}")).spawn(move || {
                for job in receiver.iter() {
                    job(&mut pipeline);
                }
                alive.fetch_sub(1, Ordering::SeqCst);
            });
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(_) => tracing::error!(worker = i, "could not spawn an inference thread"),
            }
        }
        Self { sender: Mutex::new(Some(sender)), alive, workers, handles: Mutex::new(handles), template_space }
    }

    /// The templates this pool's pipelines make: the recognition model's sha256 and their length.
    pub fn template_space(&self) -> &super::TemplateSpace {
        &self.template_space
    }

    /// Stops taking jobs, lets the workers finish the ones queued, and joins them (their pipelines, and with them
    /// the ONNX sessions and the batchers, are dropped on their own threads first). Later jobs get
    /// `PoolError::Stopped`.
    pub fn shutdown(&self) {
        drop(self.sender.lock().unwrap_or_else(|p| p.into_inner()).take());
        let handles = std::mem::take(&mut *self.handles.lock().unwrap_or_else(|p| p.into_inner()));
        for handle in handles {
            let _ = handle.join();
        }
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst) > 0
    }

    /// Runs `f` on a worker and awaits its result.
    pub async fn run<T, F>(&self, f: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Pipeline) -> T + Send + 'static,
    {
        self.submit(f)?.await.map_err(|_| PoolError::JobPanicked)?
    }

    /// Runs `f` on a worker, blocking the calling (non-async) thread.
    pub fn run_blocking<T, F>(&self, f: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Pipeline) -> T + Send + 'static,
    {
        self.submit(f)?.blocking_recv().map_err(|_| PoolError::JobPanicked)?
    }

    fn submit<T, F>(&self, f: F) -> Result<oneshot::Receiver<Result<T, PoolError>>, PoolError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Pipeline) -> T + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let span = Span::current();
        let job: Job = Box::new(move |pipeline| {
            let _entered = span.enter();
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| f(pipeline))).map_err(|_| {
                tracing::error!("inference job panicked");
                PoolError::JobPanicked
            });
            let _ = tx.send(result);
        });
        let sender = self.sender.lock().unwrap_or_else(|p| p.into_inner()).clone().ok_or(PoolError::Stopped)?;
        sender.send(job).map_err(|_| PoolError::Stopped)?;
        Ok(rx)
    }
}
