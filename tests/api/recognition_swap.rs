//! Swapping the recognition model (issue 14, item 5). The second model is SFace itself in another layout, built by
//! `onnx_graph::relayout` (a BGR face normalised as (v - 127.5) / 128, 512 values, at the same input size or
//! twice it): no second face-embedding model is shipped, and this one's right answers are known, SFace's scores.
//! - Each layout field is honoured: at the same size the wrapped model gives SFace's cosines to float rounding,
//!   and a manifest that misstates the colour order or the normalisation moves them; at twice the size the scores
//!   stay close.
//! - The service runs on it: it refuses to start until the thresholds name the model, then verifies and flags a
//!   duplicate with 512-value templates, and keeps templates of the two models apart (neither gallery opens or
//!   searches the other's, and the stored ones are counted, not lost).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use faceverify::config::Settings;
use faceverify::pipeline::pool::InferencePool;
use faceverify::pipeline::testing::write_relayout_models;
use faceverify::pipeline::{
    decode, largest, DecodeLimits, Embedding, Face, ModelFiles, Pipeline, Pixels, TemplateSpace,
};
use faceverify::policy::Role;
use faceverify::startup::Application;

use crate::helpers::{face, require_shared, settings, spawn_app_with};

/// Photos of pairs.csv: three people, several photos each (deepface img1-img11 and facenet's angelina_jolie are
/// one person).
const PHOTOS: &[&str] = &[
    "images/deepface/img1.jpg",
    "images/deepface/img2.jpg",
    "images/deepface/img4.jpg",
    "images/deepface/img16.jpg",
    "images/deepface/img17.jpg",
    "images/deepface/img20.jpg",
    "images/deepface/img21.jpg",
];

fn pipeline(models: &Path) -> Pipeline {
    let mut s = settings();
    s.models.dir = models.to_path_buf();
    let files = ModelFiles::verified(models).expect("models");
    Pipeline::load(&files, &s.models.dylib(), &s.models.session_options(), s.pipeline.clone()).expect("pipeline")
}

/// Every pair's cosine among `faces` (decoded photos with their main face) through `p`.
fn cosines(p: &mut Pipeline, faces: &[(Pixels, Face)]) -> Vec<f32> {
    let embeddings: Vec<Embedding> = faces.iter().map(|(img, face)| p.embed(img, face).expect("embed")).collect();
    let mut out = Vec::new();
    for (i, a) in embeddings.iter().enumerate() {
        for b in &embeddings[i + 1..] {
            out.push(a.cosine(b));
        }
    }
    out
}

fn max_gap(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

fn mean_gap(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32
}

/// `dir/manifest.toml` with `from` replaced by `to` (a misstated layout).
fn misstate(dir: &Path, from: &str, to: &str) {
    let path = dir.join("manifest.toml");
    let text = std::fs::read_to_string(&path).expect("manifest");
    assert!(text.contains(from), "{from} not in the manifest");
    std::fs::write(&path, text.replace(from, to)).expect("write");
}

#[test]
fn each_layout_field_is_honoured_and_a_misstated_one_shows() {
    let shared = require_shared!();
    let root = settings().models.dir;
    let mut sface = pipeline(&root);
    let faces: Vec<(Pixels, Face)> = PHOTOS
        .iter()
        .map(|rel| {
            let img = decode(&face(&shared, rel), &DecodeLimits::default()).expect("decode");
            let found = sface.detect(&img, 0.8).expect("detect");
            let main = *largest(&found).expect("a face");
            (img, main)
        })
        .collect();
    let expected = cosines(&mut sface, &faces);

    let same_size = tempfile::tempdir().expect("tempdir");
    let space = write_relayout_models(&root, same_size.path(), 1).expect("relayout");
    assert_eq!(space.dim, 512);
    let mut wrapped = pipeline(same_size.path());
    assert_eq!(wrapped.template_space(), &space);
    let got = cosines(&mut wrapped, &faces);
    assert!(max_gap(&expected, &got) < 1e-4, "SFace's cosines back: {expected:?} vs {got:?}");

    for (what, from, to) in [
        ("colour order", "colour = \"bgr\"", "colour = \"rgb\""),
        ("normalisation", "std = [128.0, 128.0, 128.0]", "std = [1.0, 1.0, 1.0]"),
    ] {
        let wrong = tempfile::tempdir().expect("tempdir");
        write_relayout_models(&root, wrong.path(), 1).expect("relayout");
        misstate(wrong.path(), from, to);
        let misread = cosines(&mut pipeline(wrong.path()), &faces);
        assert!(max_gap(&expected, &misread) > 0.01, "a misstated {what} moves the scores: {misread:?}");
    }

    let twice = tempfile::tempdir().expect("tempdir");
    write_relayout_models(&root, twice.path(), 2).expect("relayout");
    let close = cosines(&mut pipeline(twice.path()), &faces);
    // pairs.csv through `faceverify eval` (docs/accuracy.md): mean gap 0.013, largest 0.083, no decision changed.
    assert!(mean_gap(&expected, &close) < 0.03, "{expected:?} vs {close:?}");

    let wrong_size = tempfile::tempdir().expect("tempdir");
    write_relayout_models(&root, wrong_size.path(), 1).expect("relayout");
    misstate(wrong_size.path(), "embedding_dim = 512", "embedding_dim = 128");
    let mut p = pipeline(wrong_size.path());
    let (img, main) = &faces[0];
    let err = p.embed(img, main).expect_err("the output has 512 values, not 128");
    assert!(err.to_string().contains("embedding_dim"), "{err}");
}

/// A pool on the wrapped model at twice SFace's input size, and its space (shared by this file's service tests).
fn relayout_pool() -> (Arc<InferencePool>, TemplateSpace) {
    static POOL: OnceLock<(Arc<InferencePool>, TemplateSpace, tempfile::TempDir)> = OnceLock::new();
    let (pool, space, _dir) = POOL.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let space = write_relayout_models(&settings().models.dir, dir.path(), 2).expect("relayout");
        let mut s = settings();
        s.models.dir = dir.path().to_path_buf();
        s.models.workers = 1;
        let pool = faceverify::engine::start(&s).expect("the wrapped model loads");
        (pool, space, dir)
    });
    (pool.clone(), space.clone())
}

fn on_relayout(base: &Settings, dir: &Path) -> Settings {
    let mut s = base.clone();
    s.models.dir = dir.to_path_buf();
    s
}

#[tokio::test]
async fn the_service_runs_on_a_swapped_model_and_keeps_the_two_models_templates_apart() {
    let shared = require_shared!();
    let p = |n: &str| face(&shared, &format!("images/deepface/{n}"));
    let app = spawn_app_with(|s| s.gallery.sync_interval_ms = 100).await;
    let dpo = app.staff_session("dora", Role::Dpo).await;
    // Enrolled under SFace.
    assert_eq!(app.verified("APP-SF", p("img3.jpg"), p("img12.jpg")).await["decision"], "match");
    let sface = faceverify::pipeline::recognition::SFACE_2021DEC_SHA256;
    assert_eq!(app.sql_count(&format!("SELECT COUNT(*) FROM templates WHERE model = '{sface}'")).await, 1);

    // The same database on the wrapped model: refused while the thresholds name SFace.
    let (pool, space) = relayout_pool();
    let dir = tempfile::tempdir().expect("tempdir");
    write_relayout_models(&settings().models.dir, dir.path(), 2).expect("relayout");
    let swapped = on_relayout(&app.settings, dir.path());
    let refused = Application::build_with_pool(swapped.clone(), pool.clone()).await.err().expect("refused");
    assert!(refused.to_string().contains("thresholds.recognition_sha256"), "{refused}");

    // Refitted (this model scores as SFace does, so SFace's thresholds hold; a real swap runs `calibrate`).
    let mut refitted = swapped;
    refitted.thresholds.recognition_sha256 = space.model_sha256.clone();
    let app2 = Application::build_with_pool(refitted, pool).await.expect("builds on the wrapped model");
    let swapped_at = format!("http://127.0.0.1:{}", app2.port());
    tokio::spawn(app2.run_until_stopped());
    let ready = app.client.get(format!("{swapped_at}/readyz")).send().await.expect("readyz");
    assert_eq!(ready.status().as_u16(), 200, "SFace's template is not a failure: {}", ready.text().await.unwrap());
    let metrics = app.client.get(format!("{swapped_at}/metrics")).send().await.expect("metrics");
    let metrics = metrics.text().await.expect("text");
    assert!(metrics.contains("faceverify_gallery_other_model_templates 1"), "counted, not searched");
    assert!(metrics.contains("faceverify_gallery_templates 0"), "{metrics}");

    // The very photos of the SFace applicant under another applicant: SFace's template is not compared (a swap's
    // known cost, docs/accuracy.md).
    let first = app.verified_at(&swapped_at, "APP-NEW1", p("img3.jpg"), p("img12.jpg")).await;
    assert_eq!(first["decision"], "match", "{first}");
    assert_eq!(
        app.sql_count(&format!("SELECT COUNT(*) FROM templates WHERE model = '{}'", space.model_sha256)).await,
        1,
        "stored under the wrapped model"
    );
    // The same face again under a third applicant: flagged by the wrapped model's 512-value template.
    let second = app.verified_at(&swapped_at, "APP-NEW2", p("img53.jpg"), p("img54.jpg")).await;
    assert_eq!(second["decision"], "review", "{second}");
    let id = second["verification_id"].as_str().expect("id");
    let sql = format!("SELECT COUNT(*) FROM verifications WHERE id = '{id}' AND reasons LIKE '%duplicate_identity%'");
    assert_eq!(app.sql_count(&sql).await, 1, "flagged as APP-NEW1's face");

    // The SFace replica on the same database neither opens nor searches the wrapped model's templates.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let residue = app.staff_json(&dpo, reqwest::Method::GET, "/v1/subjects/APP-NEW1/residue").await;
    assert_eq!(residue["residue"]["gallery"], 0, "{residue}");
    let residue = app.staff_json(&dpo, reqwest::Method::GET, "/v1/subjects/APP-SF/residue").await;
    assert_eq!(residue["residue"]["gallery"], 1, "{residue}");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status().as_u16(), 200, "the wrapped model's templates are no failure on the SFace replica");
}
