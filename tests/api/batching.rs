//! The batchers (`models.detect_batch`, `liveness_batch`, `embed_batch` > 1; the GPU path, run here on the CPU
//! provider): the same answers as one sample at a time, concurrent samples share inferences, several sessions
//! (`batch_streams`) serve one queue, and a whole verification through them gives the same similarity as without.

use std::time::Duration;

use faceverify::pipeline::batch::{BatchSizes, Batchers};
use faceverify::pipeline::{Embedding, Face, ModelFiles, Pipeline, Role};
use image::{Rgb, RgbImage};

use crate::helpers::{document_photo, face, require_shared, settings};

fn synthetic_faces() -> Vec<RgbImage> {
    (0..6u32)
        .map(|i| {
            RgbImage::from_fn(112, 112, |x, y| {
                Rgb([((x * 3 + i * 40) % 256) as u8, ((y * 2 + i * 17) % 256) as u8, ((x + y + i * 9) % 256) as u8])
            })
        })
        .collect()
}

fn batchers(sizes: BatchSizes) -> (Batchers, ModelFiles) {
    let s = settings();
    let files = ModelFiles::verified(&s.models.dir).expect("models");
    let batchers = Batchers::load(&files, &s.models.dylib(), &s.models.session_options(), &sizes).expect("batchers");
    (batchers, files)
}

fn pipeline(files: &ModelFiles, batchers: &Batchers) -> Pipeline {
    let s = settings();
    Pipeline::load_with(files, &s.models.dylib(), &s.models.session_options(), s.pipeline.clone(), batchers)
        .expect("pipeline")
}

#[test]
fn batched_embeddings_equal_single_ones_and_concurrent_faces_share_runs() {
    let wait = Duration::from_millis(200);
    let (all, files) = batchers(BatchSizes { embed: 8, wait, ..BatchSizes::default() });
    let batcher = all.embed.clone().expect("an embedding batcher");
    assert!(all.detect.is_none() && all.liveness.is_none(), "batch sizes of one start no batcher");

    // Against a pipeline's own (fixed batch of one) session, through the same alignment.
    let img = RgbImage::from_fn(320, 240, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 256) as u8]));
    let face = Face {
        bbox: [100.0, 60.0, 220.0, 200.0],
        score: 1.0,
        landmarks: [[130.0, 110.0], [190.0, 110.0], [160.0, 140.0], [135.0, 170.0], [185.0, 170.0]],
    };
    let mut local = pipeline(&files, &Batchers::default());
    let mut batched = pipeline(&files, &all);
    let (a, b) = (local.embed(&img, &face).expect("local"), batched.embed(&img, &face).expect("batched"));
    assert!(a.cosine(&b) > 0.999_99, "dynamic-batch graph differs: cosine {}", a.cosine(&b));

    let faces = synthetic_faces();
    let embed = |f: &RgbImage| batcher.run(f.clone()).expect("embed").expect("not degenerate");
    let (runs_before, faces_before) = batcher.counts();
    let one_by_one: Vec<Embedding> = faces.iter().map(embed).collect();
    let (runs_single, faces_single) = batcher.counts();
    assert_eq!((runs_single - runs_before, faces_single - faces_before), (6, 6), "one face at a time: one run each");
    let together: Vec<Embedding> = std::thread::scope(|scope| {
        let handles: Vec<_> = faces.iter().map(|f| scope.spawn(|| embed(f))).collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    let (runs_after, faces_after) = batcher.counts();
    assert_eq!(faces_after - faces_single, 6);
    assert!(runs_after - runs_single < 6, "six concurrent faces took {} runs", runs_after - runs_single);
    for (i, (single, shared)) in one_by_one.iter().zip(&together).enumerate() {
        assert!(single.cosine(shared) > 0.999_99, "face {i}: cosine {} between batch sizes", single.cosine(shared));
    }
    let distinct = one_by_one[0].cosine(&one_by_one[1]);
    assert!(distinct < 0.999, "different inputs give different embeddings ({distinct})");
}

/// Detection and liveness through their batchers (padded), photos examined from six threads at once (two sessions
/// serving the queue): every face (box, landmarks, score) and every liveness score is the one a worker's own sessions give,
/// bit for bit, and the photos shared runs.
#[test]
fn batched_detection_and_liveness_give_the_very_faces_and_scores_of_a_worker_alone() {
    let shared = require_shared!();
    let photos: Vec<RgbImage> = ["img20.jpg", "img21.jpg", "img16.jpg", "img17.jpg", "img5.jpg", "img1.jpg"]
        .iter()
        .map(|name| {
            let bytes = face(&shared, &format!("images/deepface/{name}"));
            image::load_from_memory(&bytes).expect("photo").to_rgb8()
        })
        .collect();
    // Padded as on CUDA: every run is a full batch of four, blanks filling it.
    let wait = Duration::from_millis(200);
    let sizes = BatchSizes { detect: 4, liveness: 4, wait, streams: 2, pad: true, ..BatchSizes::default() };
    let (all, files) = batchers(sizes);
    let (detect, liveness) = (all.detect.clone().expect("detector batcher"), all.liveness.clone().expect("liveness"));
    let mut local = pipeline(&files, &Batchers::default());
    let alone: Vec<(Vec<Face>, Option<f32>)> = photos
        .iter()
        .map(|img| {
            let examined = local.examine(img, Role::Selfie).expect("examine");
            (local.detect(img, 0.6).expect("detect"), examined.live_score)
        })
        .collect();
    assert!(alone.iter().all(|(faces, live)| !faces.is_empty() && live.is_some()), "every photo has a face");

    let (detect_runs, detected) = detect.counts();
    let together: Vec<(Vec<Face>, Option<f32>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = photos
            .iter()
            .map(|img| {
                let all = all.clone();
                let files = &files;
                scope.spawn(move || {
                    let mut worker = pipeline(files, &all);
                    let examined = worker.examine(img, Role::Selfie).expect("examine");
                    (worker.detect(img, 0.6).expect("detect"), examined.live_score)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    for (i, ((faces_alone, live_alone), (faces_batched, live_batched))) in alone.iter().zip(&together).enumerate() {
        let bits = |faces: &[Face]| -> Vec<u32> {
            faces
                .iter()
                .flat_map(|f| f.bbox.iter().chain(f.landmarks.as_flattened()).chain([&f.score]))
                .map(|v| v.to_bits())
                .collect()
        };
        assert_eq!(bits(faces_alone), bits(faces_batched), "photo {i}: faces");
        assert_eq!(live_alone.map(f32::to_bits), live_batched.map(f32::to_bits), "photo {i}: liveness");
    }
    let (runs, samples) = detect.counts();
    assert!(samples - detected >= 12, "each photo detected at least twice through the batcher");
    assert!(
        runs - detect_runs < samples - detected,
        "{} letterboxes took {} runs",
        samples - detected,
        runs - detect_runs
    );
    assert!(liveness.counts().1 >= 6, "every selfie's liveness went through the batcher");
}

#[test]
fn a_verification_through_the_batchers_matches_the_one_without() {
    let shared = require_shared!();
    let selfie = face(&shared, "images/deepface/img20.jpg");
    let document = document_photo::photographed(&face(&shared, "images/deepface/img21.jpg"), 1).expect("card");
    let mut s = settings();
    s.models.workers = 2;
    (s.models.detect_batch, s.models.liveness_batch, s.models.embed_batch, s.models.batch_streams) = (4, 4, 4, 2);
    let batched = faceverify::engine::start(&s).expect("engine with batching");
    let plain = crate::helpers::pool();
    let run = |pool: &faceverify::pipeline::pool::InferencePool| {
        let (a, b) = (selfie.clone(), document.clone());
        pool.run_blocking(move |p| {
            let evidence = p.verify(&a, &b).expect("verify");
            (evidence.similarity.expect("similarity"), evidence.selfie.live_score.expect("live"))
        })
        .expect("pool")
    };
    let ((with, live_with), (without, live_without)) = (run(&batched), run(&plain));
    assert!((with - without).abs() < 1e-4, "similarity {with} with batching, {without} without");
    assert_eq!(live_with.to_bits(), live_without.to_bits(), "liveness with batching");
    assert!(with > s.thresholds.match_min, "the genuine pair still matches ({with})");
}
