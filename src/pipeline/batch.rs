//! Batching SFace across concurrent requests, for the GPU: one thread owns an SFace session whose graph takes any
//! number of faces (`onnx_graph::with_dynamic_batch`); workers hand it aligned faces and wait for their embeddings;
//! it runs whatever arrived within `wait` of the first face, up to `max`, as one inference. On a GPU that is one
//! launch sequence per batch instead of per face; on a CPU it buys nothing (docs/benchmarks.md), so it is off by
//! default (`models.embed_batch = 1`). Every batch is padded to `max` faces, the one input shape the session ever
//! sees, run once at start: with batches of varying sizes the CUDA provider re-tuned its convolutions under load and
//! throughput collapsed (measured: 6 verifications/s instead of 160 on an H200, docs/benchmarks.md). On a GPU the
//! padding is nearly free (16 faces take 1.3 ms, one 0.8 ms).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use image::RgbImage;
use ort::session::Session;
use zeroize::Zeroize;

use super::embed::{self, degenerate, Embedding};
use super::models::InferenceError;
use super::recognition::RecognitionLayout;

struct Job {
    /// The worker's copy of the aligned face, zeroed once embedded.
    face: RgbImage,
    reply: Sender<Result<Embedding, InferenceError>>,
}

#[derive(Default)]
struct Counts {
    batches: AtomicU64,
    faces: AtomicU64,
}

pub struct EmbedBatcher {
    /// `None` only while dropping: the thread's queue then ends and the thread returns.
    jobs: Option<Sender<Job>>,
    counts: Arc<Counts>,
    thread: Option<std::thread::JoinHandle<()>>,
    layout: RecognitionLayout,
}

/// The last pipeline holding the batcher joins its thread, so its ONNX session is dropped before the process ends.
impl Drop for EmbedBatcher {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl EmbedBatcher {
    /// Opens SFace with a batch dimension and starts the batching thread.
    pub fn load(
        files: &super::ModelFiles,
        dylib: &std::path::Path,
        opts: &super::SessionOptions,
        max: usize,
        wait: Duration,
    ) -> Result<Arc<Self>, super::ModelError> {
        let env = super::models::environment(dylib)?;
        let mut session = super::models::open_batched_session(&env, &files.recognition, opts)?;
        let session_err = |reason: String| super::ModelError::Session { path: files.recognition.clone(), reason };
        let layout = files.recognition_layout.clone();
        let blank = RgbImage::new(layout.input_size, layout.input_size);
        embed::run(&mut session, &layout, &vec![&blank; max.max(1)])
            .map_err(|e| session_err(format!("warm-up: {e}")))?;
        Self::start(session, layout, max, wait)
            .map_err(|e| session_err(format!("cannot start the batching thread: {e}")))
    }

    /// Starts the batching thread around `session` (which must accept a batch dimension).
    pub fn start(
        session: Session,
        layout: RecognitionLayout,
        max: usize,
        wait: Duration,
    ) -> std::io::Result<Arc<Self>> {
        let (jobs, queue) = crossbeam_channel::unbounded();
        let counts = Arc::new(Counts::default());
        let thread_counts = counts.clone();
        let thread_layout = layout.clone();
        let thread = std::thread::Builder::new()
            .name("embed-batcher".into())
            .spawn(move || serve(session, &thread_layout, &queue, max.max(1), wait, &thread_counts))?;
        Ok(Arc::new(Self { jobs: Some(jobs), counts, thread: Some(thread), layout }))
    }

    pub(crate) fn layout(&self) -> &RecognitionLayout {
        &self.layout
    }

    /// The embedding of one aligned face, computed with whatever other faces arrive at the same time.
    pub fn embed(&self, aligned: &RgbImage) -> Result<Embedding, InferenceError> {
        let stopped = || InferenceError::new("recognition", "the embedding batcher stopped");
        let (reply, answer) = crossbeam_channel::bounded(1);
        let jobs = self.jobs.as_ref().ok_or_else(stopped)?;
        jobs.send(Job { face: aligned.clone(), reply }).map_err(|_| stopped())?;
        answer.recv().map_err(|_| stopped())?
    }

    /// Inferences run and faces embedded so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.counts.batches.load(Ordering::Relaxed), self.counts.faces.load(Ordering::Relaxed))
    }
}

fn serve(
    mut session: Session,
    layout: &RecognitionLayout,
    queue: &Receiver<Job>,
    max: usize,
    wait: Duration,
    counts: &Counts,
) {
    let blank = RgbImage::new(layout.input_size, layout.input_size);
    while let Ok(first) = queue.recv() {
        let deadline = Instant::now() + wait;
        let mut jobs = vec![first];
        while jobs.len() < max {
            match queue.recv_deadline(deadline) {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut faces: Vec<&RgbImage> = jobs.iter().map(|j| &j.face).collect();
        faces.resize(max, &blank);
        let result = embed::run(&mut session, layout, &faces);
        counts.batches.fetch_add(1, Ordering::Relaxed);
        counts.faces.fetch_add(jobs.len() as u64, Ordering::Relaxed);
        crate::metrics::count_embed_batch(jobs.len());
        match result {
            Ok(embeddings) => {
                // zip stops at the real faces: the padding's embeddings are dropped.
                for (job, embedding) in jobs.iter().zip(embeddings) {
                    let _ = job.reply.send(embedding.ok_or_else(degenerate));
                }
            }
            Err(e) => {
                for job in &jobs {
                    let _ = job.reply.send(Err(InferenceError::new(e.model, &e.reason)));
                }
            }
        }
        for job in jobs {
            job.face.into_raw().zeroize();
        }
    }
}
