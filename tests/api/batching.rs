//! The embedding batcher (`models.embed_batch` > 1): the same embeddings as one face at a time, concurrent faces
//! share inferences, and a whole verification through it gives the same similarity as without it.

use std::time::Duration;

use faceverify::pipeline::batch::EmbedBatcher;
use faceverify::pipeline::{Embedding, Face, ModelFiles, Pipeline};
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

#[test]
fn batched_embeddings_equal_single_ones_and_concurrent_faces_share_runs() {
    let s = settings();
    let files = ModelFiles::verified(&s.models.dir).expect("models");
    let (dylib, opts) = (s.models.dylib(), s.models.session_options());
    let batcher = EmbedBatcher::load(&files, &dylib, &opts, 8, Duration::from_millis(200)).expect("batcher");

    // Against a pipeline's own (fixed batch of one) session, through the same alignment.
    let img = RgbImage::from_fn(320, 240, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 256) as u8]));
    let face = Face {
        bbox: [100.0, 60.0, 220.0, 200.0],
        score: 1.0,
        landmarks: [[130.0, 110.0], [190.0, 110.0], [160.0, 140.0], [135.0, 170.0], [185.0, 170.0]],
    };
    let mut local = Pipeline::load(&files, &dylib, &opts, s.pipeline.clone()).expect("pipeline");
    let mut batched =
        Pipeline::load_with(&files, &dylib, &opts, s.pipeline.clone(), Some(batcher.clone())).expect("pipeline");
    let (a, b) = (local.embed(&img, &face).expect("local"), batched.embed(&img, &face).expect("batched"));
    assert!(a.cosine(&b) > 0.999_99, "dynamic-batch graph differs: cosine {}", a.cosine(&b));

    let faces = synthetic_faces();
    let (runs_before, faces_before) = batcher.counts();
    let one_by_one: Vec<Embedding> = faces.iter().map(|f| batcher.embed(f).expect("embed")).collect();
    let (runs_single, faces_single) = batcher.counts();
    assert_eq!((runs_single - runs_before, faces_single - faces_before), (6, 6), "one face at a time: one run each");
    let together: Vec<Embedding> = std::thread::scope(|scope| {
        let handles: Vec<_> = faces.iter().map(|f| scope.spawn(|| batcher.embed(f).expect("embed"))).collect();
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

#[test]
fn a_verification_through_the_batcher_matches_the_one_without() {
    let shared = require_shared!();
    let selfie = face(&shared, "images/deepface/img20.jpg");
    let document = document_photo::photographed(&face(&shared, "images/deepface/img21.jpg"), 1).expect("card");
    let mut s = settings();
    s.models.workers = 2;
    s.models.embed_batch = 4;
    let batched = faceverify::engine::start(&s).expect("engine with batching");
    let plain = crate::helpers::pool();
    let run = |pool: &faceverify::pipeline::pool::InferencePool| {
        let (a, b) = (selfie.clone(), document.clone());
        pool.run_blocking(move |p| p.verify(&a, &b).expect("verify").similarity.expect("similarity")).expect("pool")
    };
    let (with, without) = (run(&batched), run(&plain));
    assert!((with - without).abs() < 1e-4, "similarity {with} with batching, {without} without");
    assert!(with > s.thresholds.match_min, "the genuine pair still matches ({with})");
}
