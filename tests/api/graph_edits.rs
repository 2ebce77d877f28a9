//! The PRelu rewrite the service makes when it loads a model (`pipeline::onnx_graph::prelu_as_max`) changes no bit of
//! any output: each real model that has PRelu, before and after the rewrite (both with the weight inputs dropped and
//! a batch dimension, as the service loads them), on the same inputs, compared with `to_bits`. Dropping the weight
//! inputs is checked against the reference vectors instead (`reference.rs`). The inputs are deterministic
//! pseudo-random pixel values (0..255, the models' raw range), so that every activation sees both signs.

use faceverify::pipeline::models::environment;
use faceverify::pipeline::onnx_graph::{prelu_as_max, without_initializer_inputs};
use faceverify::pipeline::ModelFiles;
use ort::session::Session;

use crate::helpers::settings;

/// Every output of `graph` on `input` (float planes, or bytes for a graph edited to read them), as bits.
fn outputs<T>(env: &ort::environment::Environment, graph: &[u8], input: &ndarray::Array4<T>) -> Vec<Vec<u32>>
where
    T: ort::value::PrimitiveTensorElementType + std::fmt::Debug + Clone + 'static,
{
    let mut session = Session::builder(env)
        .expect("builder")
        .with_intra_threads(1)
        .expect("threads")
        .commit_from_memory(graph)
        .expect("session");
    let tensor = ort::value::TensorRef::from_array_view(input).expect("tensor");
    let out = session.run(ort::inputs![tensor]).expect("run");
    out.iter().map(|(_, v)| v.try_extract_array::<f32>().expect("f32").iter().map(|x| x.to_bits()).collect()).collect()
}

fn pixels(shape: (usize, usize, usize, usize), seed: u64) -> ndarray::Array4<f32> {
    let mut rng = faceverify::seeded::SplitMix(seed);
    ndarray::Array4::from_shape_fn(shape, |_| (rng.next_u32() % 256) as f32)
}

#[test]
fn prelu_as_max_gives_the_same_bits_on_every_model_that_has_prelu() {
    let settings = settings();
    let env = environment(&settings.models.dylib()).expect("runtime (run scripts/setup.sh)");
    let files = ModelFiles::verified(&settings.models.dir).expect("models (run scripts/setup.sh)");
    for (path, shape) in [
        (&files.recognition, (2, 3, 112, 112)),
        (&files.liveness_v2, (2, 3, 80, 80)),
        (&files.liveness_v1se, (2, 3, 80, 80)),
    ] {
        let shipped = std::fs::read(path).expect("model file");
        let clean = without_initializer_inputs(&shipped).expect("parses").into_owned();
        let edited = prelu_as_max(&clean).expect("parses");
        assert!(matches!(edited, std::borrow::Cow::Owned(_)), "{}: no PRelu rewritten", path.display());
        let batch = faceverify::pipeline::onnx_graph::with_dynamic_batch(&clean).expect("batch");
        let edited_batch = faceverify::pipeline::onnx_graph::with_dynamic_batch(&edited).expect("batch");
        for seed in 0..3 {
            let input = pixels(shape, seed);
            assert_eq!(outputs(&env, &batch, &input), outputs(&env, &edited_batch, &input), "{}", path.display());
        }
    }
}

/// The bytes a model edited by `with_image_input` reads: the same pseudo-random pixels, `[N, H, W, 3]` in RGB.
fn image_bytes(shape: (usize, usize, usize, usize), seed: u64) -> ndarray::Array4<u8> {
    let mut rng = faceverify::seeded::SplitMix(seed);
    let (n, _, h, w) = shape;
    ndarray::Array4::from_shape_fn((n, h, w, 3), |_| (rng.next_u32() % 256) as u8)
}

/// What the models read before the edit: planes in BGR order (every model fed bytes here is a BGR one), as floats.
fn planes_of(bytes: &ndarray::Array4<u8>) -> ndarray::Array4<f32> {
    let (n, h, w, _) = bytes.dim();
    ndarray::Array4::from_shape_fn((n, 3, h, w), |(i, c, y, x)| f32::from(bytes[[i, y, x, 2 - c]]))
}

/// The detector and both liveness models read the picture as bytes (`with_image_input`, with and without a batch
/// dimension): every output bit equals the model's on the float planes the service used to write itself.
#[test]
fn image_input_gives_the_same_bits_as_the_planes_it_replaces() {
    use faceverify::pipeline::onnx_graph::{with_dynamic_batch, with_image_input};
    let settings = settings();
    let env = environment(&settings.models.dylib()).expect("runtime (run scripts/setup.sh)");
    let files = ModelFiles::verified(&settings.models.dir).expect("models (run scripts/setup.sh)");
    for (path, shape) in [
        (&files.detection, (1, 3, 640, 640)),
        (&files.liveness_v2, (1, 3, 80, 80)),
        (&files.liveness_v1se, (3, 3, 80, 80)),
    ] {
        let clean = without_initializer_inputs(&std::fs::read(path).expect("model file")).expect("parses").into_owned();
        let batched = with_dynamic_batch(&clean).expect("batch");
        let bytes = if shape.0 == 1 { with_image_input(&clean, true) } else { with_image_input(&batched, true) };
        let bytes = bytes.expect("image input");
        let plain = if shape.0 == 1 { &clean } else { &batched };
        for seed in 0..2 {
            let image = image_bytes(shape, seed);
            let want = outputs(&env, plain, &planes_of(&image));
            assert_eq!(outputs(&env, &bytes, &image), want, "{}", path.display());
        }
    }
    // Batched, the detector answers each letterbox as it answers it alone.
    let clean =
        without_initializer_inputs(&std::fs::read(&files.detection).expect("model")).expect("parses").into_owned();
    let batched = with_image_input(&with_dynamic_batch(&clean).expect("batch"), true).expect("image input");
    let (a, b) = (image_bytes((1, 3, 640, 640), 7), image_bytes((1, 3, 640, 640), 8));
    let pair = ndarray::concatenate(ndarray::Axis(0), &[a.view(), b.view()]).expect("two");
    let (alone_a, alone_b, together) =
        (outputs(&env, &batched, &a), outputs(&env, &batched, &b), outputs(&env, &batched, &pair));
    for (k, joint) in together.iter().enumerate() {
        assert_eq!(joint[..joint.len() / 2], alone_a[k][..], "output {k}, first letterbox");
        assert_eq!(joint[joint.len() / 2..], alone_b[k][..], "output {k}, second letterbox");
    }
}
