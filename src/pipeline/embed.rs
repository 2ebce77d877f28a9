//! The recognition model (SFace 2021dec as shipped, or whatever the manifest's layout describes): an aligned face
//! -> an L2-normalised embedding.

use image::RgbImage;
use ndarray::{s, Array4, Axis};
use ort::session::Session;
use ort::value::TensorRef;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::batch::{BatchModel, Runner};
use super::image_ops::write_planar;
use super::models::{open_shaped_session, GraphShape, InferenceError, ModelError, ModelFiles, SessionOptions};
use super::recognition::{ColourOrder, RecognitionLayout};
use ort::environment::Environment;

/// SFace's embedding length (the shipped model's; others declare theirs in the manifest).
pub const EMBEDDING_DIM: usize = 128;

/// A face template. Biometric data: zeroed on drop, redacted in Debug, never serialised.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Embedding(Box<[f32]>);

impl Embedding {
    /// L2-normalises `raw`, which is zeroed afterwards; `None` for an empty, zero or non-finite vector.
    pub fn normalised(raw: &mut [f32]) -> Option<Self> {
        let norm = raw.iter().map(|v| f64::from(*v) * f64::from(*v)).sum::<f64>().sqrt();
        let ok = !raw.is_empty() && norm.is_finite() && norm > 1e-12;
        let result = ok.then(|| Embedding(raw.iter().map(|v| (f64::from(*v) / norm) as f32).collect()));
        raw.zeroize();
        result
    }

    /// Cosine similarity (both sides are unit vectors). Templates of different lengths come from different models
    /// and are never compared (the gallery and the vault keep to one model): such a pair scores 0, no likeness.
    pub fn cosine(&self, other: &Embedding) -> f32 {
        if self.0.len() != other.0.len() {
            return 0.0;
        }
        self.0.iter().zip(other.0.iter()).map(|(a, b)| a * b).sum()
    }

    pub fn as_slice(&self) -> &[f32] {
        &self.0[..]
    }

    pub fn dim(&self) -> usize {
        self.0.len()
    }
}

impl std::fmt::Debug for Embedding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Embedding(<redacted>)")
    }
}

/// The recognition model over aligned faces (`layout.input_size` square): one session, batched or not.
pub struct Recognizer {
    session: Session,
    layout: RecognitionLayout,
}

impl Recognizer {
    /// The recognition model of `files`, in its layout, with a batch dimension when `batched`.
    pub(crate) fn open(
        env: &Environment,
        files: &ModelFiles,
        opts: &SessionOptions,
        batched: bool,
    ) -> Result<Self, ModelError> {
        let shape = GraphShape { batched, image_input: None };
        let session = open_shaped_session(env, &files.recognition, opts, shape)?;
        Ok(Self { session, layout: files.recognition_layout.clone() })
    }
}

impl BatchModel for Recognizer {
    type Sample = RgbImage;
    /// `None` for a degenerate embedding.
    type Output = Option<Embedding>;
    const NAME: &'static str = "recognition";

    fn blank(&self) -> RgbImage {
        RgbImage::new(self.layout.input_size, self.layout.input_size)
    }

    fn run(&mut self, faces: &[&RgbImage]) -> Result<Vec<Option<Embedding>>, InferenceError> {
        run(&mut self.session, &self.layout, faces)
    }

    fn scrub(face: RgbImage) {
        face.into_raw().zeroize();
    }
}

/// The recognition model for one worker: its own session, or a share of the batcher's (`models.embed_batch` > 1).
pub(crate) struct Embedder(pub(crate) Runner<Recognizer>);

impl Embedder {
    /// `aligned` is the face aligned at the model's input size.
    pub(crate) fn embed(&mut self, aligned: &RgbImage) -> Result<Embedding, InferenceError> {
        self.0.run(aligned.clone())?.ok_or_else(degenerate)
    }
}

pub(crate) fn degenerate() -> InferenceError {
    InferenceError::new("recognition", "degenerate embedding")
}

/// One run of the recognition model over `faces` (aligned, `layout.input_size` square): one embedding per face,
/// `None` for a degenerate one. The input tensor is zeroed afterwards.
pub(crate) fn run(
    session: &mut Session,
    layout: &RecognitionLayout,
    faces: &[&RgbImage],
) -> Result<Vec<Option<Embedding>>, InferenceError> {
    let n = layout.input_size as usize;
    if let Some(face) = faces.iter().find(|f| f.width() as usize != n || f.height() as usize != n) {
        let reason = format!("a {}x{} face for a {n}x{n} input", face.width(), face.height());
        return Err(InferenceError::new("recognition", reason));
    }
    let mut input = Array4::<f32>::zeros((faces.len(), 3, n, n));
    for (i, face) in faces.iter().enumerate() {
        let mut sample = input.slice_mut(s![i, .., .., ..]);
        write_planar(face, layout.colour == ColourOrder::Bgr, &mut sample);
        if !layout.is_raw() {
            for (c, mut plane) in sample.axis_iter_mut(Axis(0)).enumerate() {
                let (mean, std) = (layout.mean[c], layout.std[c]);
                plane.mapv_inplace(|v| (v - mean) / std);
            }
        }
    }
    let result = infer(session, layout.embedding_dim, &input, faces.len());
    input.fill(0.0);
    result
}

fn infer(
    session: &mut Session,
    dim: usize,
    input: &Array4<f32>,
    count: usize,
) -> Result<Vec<Option<Embedding>>, InferenceError> {
    let err = |e: &dyn std::fmt::Display| InferenceError::new("recognition", e);
    let tensor = TensorRef::from_array_view(input).map_err(|e| err(&e))?;
    let outputs = session.run(ort::inputs![tensor]).map_err(|e| err(&e))?;
    let out = outputs[0].try_extract_array::<f32>().map_err(|e| err(&e))?;
    if out.len() != count * dim {
        let reason =
            format!("output has {} values for {count} faces of {dim} (the manifest's embedding_dim)", out.len());
        return Err(InferenceError::new("recognition", reason));
    }
    let mut values: Vec<f32> = out.iter().copied().collect();
    let embeddings = values.chunks_exact_mut(dim).map(Embedding::normalised).collect();
    values.zeroize();
    Ok(embeddings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalised_vectors_have_unit_cosine_with_themselves() {
        let mut raw = [0.0f32; EMBEDDING_DIM];
        raw[0] = 3.0;
        raw[5] = 4.0;
        let e = Embedding::normalised(&mut raw).expect("non-zero");
        assert_eq!(raw, [0.0; EMBEDDING_DIM], "the raw values are zeroed");
        assert!((e.cosine(&e) - 1.0).abs() < 1e-6);
        assert!((e.as_slice()[0] - 0.6).abs() < 1e-6);
    }

    #[test]
    fn zero_and_nan_vectors_are_rejected() {
        assert!(Embedding::normalised(&mut [0.0; EMBEDDING_DIM]).is_none());
        assert!(Embedding::normalised(&mut []).is_none());
        let mut raw = [1.0f32; EMBEDDING_DIM];
        raw[3] = f32::NAN;
        assert!(Embedding::normalised(&mut raw).is_none());
    }

    #[test]
    fn any_length_normalises_and_two_lengths_never_look_alike() {
        let short = Embedding::normalised(&mut [1.0; 128]).expect("non-zero");
        let long = Embedding::normalised(&mut [1.0; 512]).expect("non-zero");
        assert_eq!((short.dim(), long.dim()), (128, 512));
        assert!((long.cosine(&long) - 1.0).abs() < 1e-5);
        assert_eq!(short.cosine(&long), 0.0);
    }

    #[test]
    fn debug_never_prints_values() {
        let mut raw = [0.0f32; EMBEDDING_DIM];
        raw[0] = 0.123_456;
        let e = Embedding::normalised(&mut raw).expect("non-zero");
        let shown = format!("{e:?}");
        assert_eq!(shown, "Embedding(<redacted>)");
    }
}
