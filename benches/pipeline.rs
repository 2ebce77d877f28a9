#![allow(clippy::expect_used, clippy::unwrap_used)]

//! Per-stage and end-to-end latency of one verification on this machine's CPU, one intra-op thread per session.
//! Inputs: two photos of one person from ../shared/data/faces, re-encoded as ~1 MP JPEGs in memory.
//! Run: `cargo bench --bench pipeline` (after scripts/setup.sh).

use std::io::Cursor;
use std::path::Path;

mod common;

use common::shared_dir;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use faceverify::config::Settings;
use faceverify::pipeline::{align, decode, largest, DecodeLimits, ModelFiles, Pipeline};
use image::imageops::FilterType;

/// The photo scaled to about one megapixel, as a quality-90 JPEG.
fn one_megapixel_jpeg(path: &Path) -> Vec<u8> {
    let img = image::open(path).expect("photo").to_rgb8();
    let scale = (1_000_000.0 / f64::from(img.width() * img.height())).sqrt();
    let (w, h) = ((f64::from(img.width()) * scale) as u32, (f64::from(img.height()) * scale) as u32);
    let resized = image::imageops::resize(&img, w, h, FilterType::Triangle);
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&resized).expect("jpeg");
    out.into_inner()
}

/// The photo upscaled to 4000x3000 (a 12 MP phone camera's size) as a quality-90 JPEG. Upscaled content is
/// smoother than a camera's, so the file is smaller and entropy decoding cheaper than for a real 12 MP photo.
fn twelve_megapixel_jpeg(path: &Path) -> Vec<u8> {
    let img = image::open(path).expect("photo").to_rgb8();
    let resized = image::imageops::resize(&img, 4000, 3000, FilterType::Triangle);
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&resized).expect("jpeg");
    out.into_inner()
}

/// Settings from the environment as the service reads them, so `FACEVERIFY__MODELS__DEVICE=cuda` (with a
/// `--features cuda` build and the GPU runtime in `ORT_DYLIB_PATH`) benchmarks the CUDA path.
fn pipeline() -> Pipeline {
    pipeline_with(|_| {})
}

fn pipeline_with(tweak: impl FnOnce(&mut Settings)) -> Pipeline {
    let mut settings = Settings::load(None).expect("settings");
    tweak(&mut settings);
    let files = ModelFiles::verified(&settings.models.dir).expect("models (run scripts/setup.sh)");
    eprintln!("device: {:?}", settings.models.device);
    Pipeline::load(&files, &settings.models.dylib(), &settings.models.session_options(), settings.pipeline)
        .expect("pipeline")
}

fn bench(c: &mut Criterion) {
    let Some(shared) = shared_dir() else {
        eprintln!("SKIPPED: ../shared/data/faces not found; set FACEVERIFY_SHARED_DIR to run the benches");
        return;
    };
    let selfie = one_megapixel_jpeg(&shared.join("data/faces/images/deepface/img20.jpg"));
    let document = one_megapixel_jpeg(&shared.join("data/faces/images/deepface/img21.jpg"));
    let mut p = pipeline();
    let limits = DecodeLimits::default();
    let img = decode(&selfie, &limits).expect("decode");
    let faces = p.detect(&img, 0.8).expect("detect");
    let face = *largest(&faces).expect("a face");
    eprintln!("input: {}x{} JPEG, {} bytes", img.width(), img.height(), selfie.len());

    let mut g = c.benchmark_group("stage");
    g.sample_size(30);
    g.bench_function("decode_1mp_jpeg", |b| b.iter(|| decode(black_box(&selfie), &limits).expect("decode")));
    g.bench_function("detect_yunet", |b| b.iter(|| p.detect(black_box(&img), 0.8).expect("detect")));
    g.bench_function("align_112", |b| b.iter(|| align(black_box(&img), &face)));
    g.bench_function("liveness_minifasnet_x2", |b| b.iter(|| p.liveness(black_box(&img), &face).expect("liveness")));
    g.bench_function("align_and_embed_sface", |b| b.iter(|| p.embed(black_box(&img), &face).expect("embed")));
    g.finish();

    // What the graph edits buy (pipeline/onnx_graph): each model as shipped, SFace with its weight inputs dropped,
    // then with PRelu as Mul and Max (the same bits: tests/api/graph_edits.rs), as the service loads them; same input,
    // same session options, one run.
    let settings = Settings::load(None).expect("settings");
    let env = faceverify::pipeline::models::environment(&settings.models.dylib()).expect("runtime");
    let files = ModelFiles::verified(&settings.models.dir).expect("models");
    let sface = files.recognition.clone();
    let shipped = std::fs::read(&sface).expect("sface");
    let edited = faceverify::pipeline::onnx_graph::without_initializer_inputs(&shipped).expect("edit").into_owned();
    let prelu = faceverify::pipeline::onnx_graph::prelu_as_max(&edited).expect("edit").into_owned();
    eprintln!(
        "sface graph inputs: {} as shipped, {} as loaded",
        faceverify::pipeline::onnx_graph::graph_input_count(&shipped).expect("count"),
        faceverify::pipeline::onnx_graph::graph_input_count(&edited).expect("count")
    );
    let v2_shipped = std::fs::read(&files.liveness_v2).expect("minifasnet v2");
    let v2_prelu = faceverify::pipeline::onnx_graph::prelu_as_max(&v2_shipped).expect("edit").into_owned();
    let face_input =
        ndarray::Array4::<f32>::from_shape_fn((1, 3, 112, 112), |(_, c, y, x)| ((c * 31 + y * 7 + x) % 255) as f32);
    let crop_input =
        ndarray::Array4::<f32>::from_shape_fn((1, 3, 80, 80), |(_, c, y, x)| ((c * 31 + y * 7 + x) % 255) as f32);
    let mut g = c.benchmark_group("graph_edits");
    g.sample_size(30);
    for (name, bytes, input) in [
        ("sface_as_shipped", &shipped, &face_input),
        ("sface_weights_not_inputs", &edited, &face_input),
        ("sface_prelu_as_max", &prelu, &face_input),
        ("minifasnet_v2_as_shipped", &v2_shipped, &crop_input),
        ("minifasnet_v2_prelu_as_max", &v2_prelu, &crop_input),
    ] {
        let builder = ort::session::Session::builder(&env).expect("builder");
        let mut builder = builder.with_intra_threads(settings.models.intra_threads.max(1)).expect("threads");
        let mut session = builder.commit_from_memory(bytes).expect("session");
        g.bench_function(name, |b| {
            b.iter(|| {
                let tensor = ort::value::TensorRef::from_array_view(input).expect("tensor");
                let out = session.run(ort::inputs![tensor]).expect("run");
                black_box(out[0].try_extract_array::<f32>().expect("output").sum())
            })
        });
    }
    g.finish();

    // What resizing row by row buys over the pixel-by-pixel resize it replaced (the same bytes: image_ops tests), on
    // the detector's resize of this photo to 640 px.
    let (w, h) = (img.width(), img.height());
    let scale = 640.0 / f64::from(w.max(h));
    let (rw, rh) = ((f64::from(w) * scale).round() as u32, (f64::from(h) * scale).round() as u32);
    let mut g = c.benchmark_group("resize");
    g.sample_size(30);
    g.bench_function("resize_to_640_rows", |b| {
        b.iter(|| faceverify::pipeline::testing::resize(black_box(&img), rw, rh))
    });
    g.bench_function("resize_to_640_pixel_by_pixel", |b| {
        b.iter(|| faceverify::pipeline::testing::resize_pixel_by_pixel(black_box(&img), rw, rh))
    });
    g.finish();

    // What batching faces buys per face, on the configured device (FACEVERIFY__MODELS__DEVICE): one SFace run over
    // 1, 4 and 16 faces of a session with a batch dimension (what models.embed_batch > 1 uses).
    let batch_shape = faceverify::pipeline::models::GraphShape { batched: true, image_input: None };
    let opts = settings.models.session_options();
    let mut batched =
        faceverify::pipeline::models::open_shaped_session(&env, &sface, &opts, batch_shape).expect("batched session");
    let mut g = c.benchmark_group("sface_batch");
    g.sample_size(20);
    for faces in [1usize, 4, 16] {
        let input = ndarray::Array4::<f32>::from_shape_fn((faces, 3, 112, 112), |(i, c, y, x)| {
            ((i * 13 + c * 31 + y * 7 + x) % 255) as f32
        });
        g.throughput(criterion::Throughput::Elements(faces as u64));
        g.bench_function(format!("faces_{faces}"), |b| {
            b.iter(|| {
                let tensor = ort::value::TensorRef::from_array_view(&input).expect("tensor");
                let out = batched.run(ort::inputs![tensor]).expect("run");
                black_box(out[0].try_extract_array::<f32>().expect("fc1").sum())
            })
        });
    }
    g.finish();

    // What feeding the detector bytes costs (pipeline/onnx_graph/image_input: the same bits, tests/api/graph_edits.rs):
    // the letterbox written as float planes by the service, as it was, against bytes the graph casts and lays out
    // itself (what crosses to a GPU: 1.2 MB instead of 4.9 MB), each with its input written inside the loop; then the
    // detector and the liveness pair over batches of 1, 4 and 8 (what models.detect_batch and liveness_batch use),
    // on the configured device.
    use faceverify::pipeline::models::{open_shaped_session, GraphShape};
    let bgr_bytes = GraphShape::bgr_bytes;
    let resized = faceverify::pipeline::testing::resize(&img, rw, rh);
    let row = rw as usize * 3;
    let mut planes_session = open_shaped_session(&env, &files.detection, &opts, GraphShape::default()).expect("yunet");
    let mut bytes_session = open_shaped_session(&env, &files.detection, &opts, bgr_bytes(false)).expect("yunet");
    let mut g = c.benchmark_group("image_input");
    g.sample_size(30);
    g.bench_function("yunet_float_planes", |b| {
        b.iter(|| {
            let mut input = ndarray::Array4::<f32>::zeros((1, 3, 640, 640));
            let mut view = input.slice_mut(ndarray::s![0, .., ..rh as usize, ..rw as usize]);
            faceverify::pipeline::testing::write_planar(&resized, true, &mut view);
            let tensor = ort::value::TensorRef::from_array_view(&input).expect("tensor");
            let out = planes_session.run(ort::inputs![tensor]).expect("run");
            black_box(out[0].try_extract_array::<f32>().expect("output").sum())
        })
    });
    g.bench_function("yunet_bytes", |b| {
        b.iter(|| {
            let mut bytes = vec![0u8; 640 * 640 * 3];
            for (dst, src) in bytes.chunks_exact_mut(640 * 3).zip(resized.as_raw().chunks_exact(row)) {
                dst[..row].copy_from_slice(src);
            }
            let view = ndarray::ArrayView4::from_shape((1, 640, 640, 3), &bytes[..]).expect("shape");
            let tensor = ort::value::TensorRef::from_array_view(view).expect("tensor");
            let out = bytes_session.run(ort::inputs![tensor]).expect("run");
            black_box(out[0].try_extract_array::<f32>().expect("output").sum())
        })
    });
    g.finish();
    let mut g = c.benchmark_group("batch_per_sample");
    g.sample_size(10);
    for (name, path, side) in [
        ("yunet", &files.detection, 640usize),
        ("minifasnet_v2", &files.liveness_v2, 80),
        ("minifasnet_v1se", &files.liveness_v1se, 80),
    ] {
        let mut session = open_shaped_session(&env, path, &opts, bgr_bytes(true)).expect("batched session");
        for n in [1usize, 4, 8] {
            let input = ndarray::Array4::<u8>::from_shape_fn((n, side, side, 3), |(i, y, x, c)| {
                ((i * 13 + c * 31 + y * 7 + x) % 255) as u8
            });
            g.throughput(criterion::Throughput::Elements(n as u64));
            g.bench_function(format!("{name}_{n}"), |b| {
                b.iter(|| {
                    let tensor = ort::value::TensorRef::from_array_view(&input).expect("tensor");
                    let out = session.run(ort::inputs![tensor]).expect("run");
                    black_box(out[0].try_extract_array::<f32>().expect("output").sum())
                })
            });
        }
    }
    g.finish();

    let mut g = c.benchmark_group("end_to_end");
    g.sample_size(20);
    g.bench_function("verify_two_1mp_jpegs", |b| {
        b.iter(|| p.verify(black_box(&selfie), black_box(&document)).expect("verify"))
    });
    g.finish();

    // What decode-time downscaling buys on 12 MP JPEGs: full-resolution decode vs 1/2 scale (the default keeps
    // the shorter side at or above 1080 px), alone and in a whole verification, one run.
    let big_selfie = twelve_megapixel_jpeg(&shared.join("data/faces/images/deepface/img20.jpg"));
    let big_document = twelve_megapixel_jpeg(&shared.join("data/faces/images/deepface/img21.jpg"));
    eprintln!("12 MP inputs: {} and {} bytes", big_selfie.len(), big_document.len());
    let full_res = DecodeLimits { downscale_min_side: 0, ..DecodeLimits::default() };
    let mut full = pipeline_with(|s| s.pipeline.limits.downscale_min_side = 0);
    let mut g = c.benchmark_group("twelve_megapixels");
    g.sample_size(15);
    g.bench_function("decode_full", |b| b.iter(|| decode(black_box(&big_selfie), &full_res).expect("decode")));
    g.bench_function("decode_scaled", |b| b.iter(|| decode(black_box(&big_selfie), &limits).expect("decode")));
    g.bench_function("verify_full", |b| {
        b.iter(|| full.verify(black_box(&big_selfie), black_box(&big_document)).expect("verify"))
    });
    g.bench_function("verify_scaled", |b| {
        b.iter(|| p.verify(black_box(&big_selfie), black_box(&big_document)).expect("verify"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
