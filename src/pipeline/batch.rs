//! Batching a model across concurrent requests, for the GPU. Batching threads own sessions whose graph takes any
//! number of samples (`onnx_graph::with_dynamic_batch`); workers hand them samples (aligned faces, letterboxed
//! photos for detection, liveness crops) and wait for the answers; a thread runs whatever arrived within `wait` of
//! the first sample, up to `max`, as one inference. On a GPU that is one launch sequence per batch instead of per
//! sample; on a CPU it buys nothing (docs/benchmarks.md), so every batcher is off by default (`models.*_batch = 1`).
//!
//! On CUDA every batch is padded to `max` samples, the one input shape the session ever sees, run once at start:
//! with batches of varying sizes the CUDA provider re-tuned its convolutions under load and throughput collapsed
//! (measured: 6 verifications/s instead of 160 on an H200, docs/benchmarks.md). On a GPU the padding is nearly
//! free (16 faces take 1.3 ms, one 0.8 ms); on a CPU it costs a whole sample each, so there batches run as they
//! come (`BatchSizes::pad`). With `models.batch_streams` > 1 several threads, each with a session of
//! its own (on CUDA: its own stream), take batches from the one queue, so one batch is copied to the device while
//! another computes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use super::models::InferenceError;

/// One model run over batches: what a batcher thread owns, and what a worker without a batcher runs itself.
pub trait BatchModel: Send + 'static {
    type Sample: Send + 'static;
    type Output: Send + 'static;
    /// The model's name in errors and metrics.
    const NAME: &'static str;
    /// A sample that pads a batch to its full size.
    fn blank(&self) -> Self::Sample;
    /// One inference over `samples`: one output each, in order.
    fn run(&mut self, samples: &[&Self::Sample]) -> Result<Vec<Self::Output>, InferenceError>;
    /// Wipes a sample once it is run (photos and faces are biometric data).
    fn scrub(sample: Self::Sample);
}

/// A worker's way to a model: a session of its own, or a share of a batcher's.
pub enum Runner<M: BatchModel> {
    Local(M),
    Batched(Arc<Batcher<M>>),
}

impl<M: BatchModel> Runner<M> {
    /// Through `batcher` when there is one, else through a model of the worker's own from `open`.
    pub fn new(
        batcher: &Option<Arc<Batcher<M>>>,
        open: impl FnOnce() -> Result<M, super::ModelError>,
    ) -> Result<Self, super::ModelError> {
        Ok(match batcher {
            Some(batcher) => Runner::Batched(batcher.clone()),
            None => Runner::Local(open()?),
        })
    }

    /// `sample` through the model, alone or with whatever else the batcher has.
    pub fn run(&mut self, sample: M::Sample) -> Result<M::Output, InferenceError> {
        match self {
            Runner::Local(model) => {
                let out = model.run(&[&sample]);
                M::scrub(sample);
                out?.pop().ok_or_else(|| InferenceError::new(M::NAME, "no output"))
            }
            Runner::Batched(batcher) => batcher.run(sample),
        }
    }
}

struct Job<M: BatchModel> {
    sample: M::Sample,
    reply: Sender<Result<M::Output, InferenceError>>,
}

#[derive(Default)]
struct Counts {
    batches: AtomicU64,
    samples: AtomicU64,
}

pub struct Batcher<M: BatchModel> {
    /// `None` only while dropping: the queue then ends and the threads return.
    jobs: Option<Sender<Job<M>>>,
    counts: Arc<Counts>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// The last pipeline holding the batcher joins its threads, so their ONNX sessions are dropped before the process
/// ends.
impl<M: BatchModel> Drop for Batcher<M> {
    fn drop(&mut self) {
        drop(self.jobs.take());
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl<M: BatchModel> Batcher<M> {
    /// Warms every model up on a full batch of blanks, then starts one thread per model on one shared queue. With
    /// `pad`, every batch is filled up to `max` with blanks (the one shape the session then sees).
    pub fn start(models: Vec<M>, max: usize, wait: Duration, pad: bool) -> Result<Arc<Self>, InferenceError> {
        let max = max.max(1);
        let (jobs, queue) = crossbeam_channel::unbounded();
        let counts = Arc::new(Counts::default());
        let mut threads = Vec::with_capacity(models.len());
        for (i, mut model) in models.into_iter().enumerate() {
            let blanks: Vec<M::Sample> = (0..max).map(|_| model.blank()).collect();
            model.run(&blanks.iter().collect::<Vec<_>>()).map_err(|e| warm_up_failed(&e))?;
            let (queue, counts): (Receiver<Job<M>>, _) = (queue.clone(), counts.clone());
            let thread = std::thread::Builder::new()
                .name(format!("{}-batcher-{i}", M::NAME))
                .spawn(move || serve(model, &queue, Gather { max, wait, pad }, &counts))
                .map_err(|e| InferenceError::new(M::NAME, format!("cannot start a batching thread: {e}")))?;
            threads.push(thread);
        }
        if threads.is_empty() {
            return Err(InferenceError::new(M::NAME, "a batcher needs at least one session"));
        }
        Ok(Arc::new(Self { jobs: Some(jobs), counts, threads }))
    }

    /// The output for one sample, computed with whatever other samples arrive at the same time.
    pub fn run(&self, sample: M::Sample) -> Result<M::Output, InferenceError> {
        let stopped = || InferenceError::new(M::NAME, "the batcher stopped");
        let (reply, answer) = crossbeam_channel::bounded(1);
        let jobs = self.jobs.as_ref().ok_or_else(stopped)?;
        jobs.send(Job { sample, reply }).map_err(|_| stopped())?;
        answer.recv().map_err(|_| stopped())?
    }

    /// Inferences run and samples answered so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.counts.batches.load(Ordering::Relaxed), self.counts.samples.load(Ordering::Relaxed))
    }
}

fn warm_up_failed(e: &InferenceError) -> InferenceError {
    InferenceError::new(e.model, format!("warm-up: {}", e.reason))
}

/// How a batcher thread gathers a batch.
#[derive(Clone, Copy)]
struct Gather {
    max: usize,
    wait: Duration,
    pad: bool,
}

fn serve<M: BatchModel>(mut model: M, queue: &Receiver<Job<M>>, gather: Gather, counts: &Counts) {
    let Gather { max, wait, pad } = gather;
    let padding: Vec<M::Sample> = if pad { (1..max).map(|_| model.blank()).collect() } else { Vec::new() };
    while let Ok(first) = queue.recv() {
        let deadline = Instant::now() + wait;
        let mut jobs = vec![first];
        while jobs.len() < max {
            match queue.recv_deadline(deadline) {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut samples: Vec<&M::Sample> = jobs.iter().map(|j| &j.sample).collect();
        samples.extend(padding.iter().take(max.saturating_sub(jobs.len())));
        let result = model.run(&samples);
        counts.batches.fetch_add(1, Ordering::Relaxed);
        counts.samples.fetch_add(jobs.len() as u64, Ordering::Relaxed);
        crate::metrics::count_batch(M::NAME, jobs.len());
        match result {
            Ok(outputs) => {
                // zip stops at the real samples: the padding's outputs are dropped.
                for (job, output) in jobs.iter().zip(outputs) {
                    let _ = job.reply.send(Ok(output));
                }
            }
            Err(e) => {
                for job in &jobs {
                    let _ = job.reply.send(Err(InferenceError::new(e.model, &e.reason)));
                }
            }
        }
        for job in jobs {
            M::scrub(job.sample);
        }
    }
}

/// How many samples each batcher gathers (1: no batcher, every worker runs the model itself), how long it waits
/// for them, and how many sessions (threads; on CUDA, streams) each batcher has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchSizes {
    pub detect: usize,
    pub liveness: usize,
    pub embed: usize,
    pub wait: Duration,
    pub streams: usize,
    /// Fill every batch up to its size (on CUDA: one input shape, tuned once; see the module).
    pub pad: bool,
}

impl Default for BatchSizes {
    fn default() -> Self {
        Self { detect: 1, liveness: 1, embed: 1, wait: Duration::from_millis(2), streams: 1, pad: false }
    }
}

/// The batchers the workers share; a model without one is run by each worker on its own session.
#[derive(Clone, Default)]
pub struct Batchers {
    pub detect: Option<Arc<Batcher<super::detect::DetectModel>>>,
    pub liveness: Option<Arc<Batcher<super::liveness::LivenessModel>>>,
    pub embed: Option<Arc<Batcher<super::embed::Recognizer>>>,
}

impl Batchers {
    /// Opens `sizes.streams` batched sessions for each model whose batch is above one and starts its batcher.
    pub fn load(
        files: &super::ModelFiles,
        dylib: &std::path::Path,
        opts: &super::SessionOptions,
        sizes: &BatchSizes,
    ) -> Result<Self, super::ModelError> {
        use super::{detect::DetectModel, embed::Recognizer, liveness::LivenessModel};
        let env = super::models::environment(dylib)?;
        Ok(Self {
            detect: batcher(sizes.detect, sizes, &files.detection, || DetectModel::open(&env, files, opts, true))?,
            liveness: batcher(sizes.liveness, sizes, &files.liveness_v2, || {
                LivenessModel::open(&env, files, opts, true)
            })?,
            embed: batcher(sizes.embed, sizes, &files.recognition, || Recognizer::open(&env, files, opts, true))?,
        })
    }
}

/// A batcher of `max` samples over `sizes.streams` models from `open`; none when `max` is one (no batching).
fn batcher<M: BatchModel>(
    max: usize,
    sizes: &BatchSizes,
    path: &std::path::Path,
    open: impl Fn() -> Result<M, super::ModelError>,
) -> Result<Option<Arc<Batcher<M>>>, super::ModelError> {
    if max <= 1 {
        return Ok(None);
    }
    let models = (0..sizes.streams.max(1)).map(|_| open()).collect::<Result<Vec<_>, _>>()?;
    let batcher = Batcher::start(models, max, sizes.wait, sizes.pad)
        .map_err(|e| super::ModelError::Session { path: path.into(), reason: e.to_string() })?;
    Ok(Some(batcher))
}
