//! The Rust port against the reference pipeline's test vectors (shared/models/reference_outputs.json).
//! Tolerances: boxes and landmarks within 1% of the face size; liveness probabilities within 0.05 and the same
//! live/spoof call; embeddings with cosine >= 0.995 to the reference; pairwise cosines within 0.03 (two embeddings each within
//! 0.995 of their reference may move a pair by that much). Why not tighter: the resize matches OpenCV's to one grey level, but JPEG decoding (zune-jpeg here, libjpeg-turbo
//! in the reference) differs by up to 6 levels on a few pixels, and the Silent-Face crop truncates box coordinates
//! to whole pixels, so a 0.05 px box difference can shift the liveness crop by one pixel.

use faceverify::pipeline::{decode, largest, DecodeLimits, Embedding};
use serde_json::Value;

use crate::helpers::{pool, require_shared};

struct Observed {
    name: String,
    faces: usize,
    bbox: [f32; 4],
    score: f32,
    landmarks: [[f32; 2]; 5],
    live: [f32; 3],
    embedding: Embedding,
}

fn observe(shared: &std::path::Path, name: &str) -> Observed {
    let bytes = std::fs::read(shared.join("models/testdata").join(name)).expect("testdata image");
    let name = name.to_owned();
    pool()
        .run_blocking(move |p| {
            let img = decode(&bytes, &DecodeLimits::default()).expect("decodes");
            let faces = p.detect(&img, 0.6).expect("detect");
            let face = *largest(&faces).expect("a face");
            Observed {
                faces: faces.len(),
                bbox: face.bbox,
                score: face.score,
                landmarks: face.landmarks,
                live: p.liveness(&img, &face).expect("liveness"),
                embedding: p.embed(&img, &face).expect("embed"),
                name,
            }
        })
        .expect("pool")
}

fn f32s(v: &Value) -> Vec<f32> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number") as f32).collect()
}

#[test]
fn rust_port_matches_the_reference_outputs() {
    let shared = require_shared!();
    let text = std::fs::read_to_string(shared.join("models/reference_outputs.json")).expect("reference");
    let reference: Value = serde_json::from_str(&text).expect("json");
    let images = reference["images"].as_object().expect("images");
    let mut observed = Vec::new();
    for (name, want) in images {
        let got = observe(&shared, name);
        let size = got.bbox[2] - got.bbox[0];
        let tol = 0.01 * size;
        assert_eq!(got.faces as u64, want["n_faces"].as_u64().expect("n_faces"), "{name}: face count");
        for (g, w) in got.bbox.iter().zip(f32s(&want["box_xyxy"])) {
            assert!((g - w).abs() <= tol, "{name}: box {:?} vs {}", got.bbox, want["box_xyxy"]);
        }
        for (k, w) in want["kps"].as_array().expect("kps").iter().enumerate() {
            let w = f32s(w);
            let g = got.landmarks[k];
            assert!((g[0] - w[0]).abs() <= tol && (g[1] - w[1]).abs() <= tol, "{name}: landmark {k} {g:?} vs {w:?}");
        }
        assert!((got.score - want["score"].as_f64().expect("score") as f32).abs() < 0.01, "{name}: score");
        for (g, w) in got.live.iter().zip(f32s(&want["minifasnet_ensemble_probs"])) {
            assert!((g - w).abs() <= 0.05, "{name}: liveness {:?} vs {}", got.live, want["minifasnet_ensemble_probs"]);
        }
        let want_live = want["live_score"].as_f64().expect("live_score") as f32;
        assert_eq!(got.live[1] >= 0.5, want_live >= 0.5, "{name}: live/spoof call differs from the reference");
        let want_embedding = f32s(&want["sface_embedding"]);
        let cos: f32 = got.embedding.as_slice().iter().zip(&want_embedding).map(|(a, b)| a * b).sum();
        assert!(cos >= 0.995, "{name}: embedding cosine to reference {cos}");
        eprintln!("{name}: live {:?}, embedding cosine to reference {cos:.5}", got.live);
        observed.push(got);
    }
    for (pair, want) in reference["cosine"].as_object().expect("cosine") {
        let (a, b) = pair.split_once('|').expect("a|b");
        let find = |n: &str| observed.iter().find(|o| o.name == n).expect("observed");
        let got = find(a).embedding.cosine(&find(b).embedding);
        let want = want.as_f64().expect("number") as f32;
        assert!((got - want).abs() <= 0.03, "{pair}: cosine {got} vs {want}");
    }
}
