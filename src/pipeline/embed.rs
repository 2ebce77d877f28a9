//! SFace 2021dec: 112x112 aligned RGB face -> 128-d L2-normalised embedding.

use image::RgbImage;
use ndarray::{s, Array4};
use ort::session::Session;
use ort::value::TensorRef;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::align::ALIGNED_SIZE;
use super::image_ops::write_planar;
use super::models::InferenceError;

pub const EMBEDDING_DIM: usize = 128;

/// A face template. Biometric data: zeroed on drop, redacted in Debug, never serialised.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Embedding(Box<[f32; EMBEDDING_DIM]>);

impl Embedding {
    /// L2-normalises `raw`; `None` for a zero or non-finite vector.
    pub fn normalised(mut raw: [f32; EMBEDDING_DIM]) -> Option<Self> {
        let norm = raw.iter().map(|v| f64::from(*v) * f64::from(*v)).sum::<f64>().sqrt();
        let ok = norm.is_finite() && norm > 1e-12;
        let result = ok.then(|| {
            let mut v = Box::new([0.0f32; EMBEDDING_DIM]);
            for (dst, src) in v.iter_mut().zip(raw.iter()) {
                *dst = (f64::from(*src) / norm) as f32;
            }
            Embedding(v)
        });
        raw.zeroize();
        result
    }

    /// Cosine similarity (both sides are unit vectors).
    pub fn cosine(&self, other: &Embedding) -> f32 {
        self.0.iter().zip(other.0.iter()).map(|(a, b)| a * b).sum()
    }

    pub fn as_slice(&self) -> &[f32] {
        &self.0[..]
    }
}

impl std::fmt::Debug for Embedding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Embedding(<redacted>)")
    }
}

/// SFace for one worker: its own session, or a share of the batcher's (`models.embed_batch` > 1).
pub(crate) enum Embedder {
    Local(Session),
    Batched(std::sync::Arc<super::batch::EmbedBatcher>),
}

impl Embedder {
    pub(crate) fn embed(&mut self, aligned: &RgbImage) -> Result<Embedding, InferenceError> {
        match self {
            Embedder::Local(session) => run(session, &[aligned])?.pop().flatten().ok_or_else(degenerate),
            Embedder::Batched(batcher) => batcher.embed(aligned),
        }
    }
}

pub(crate) fn degenerate() -> InferenceError {
    InferenceError::new("sface", "degenerate embedding")
}

/// One SFace run over `faces` (aligned 112x112 RGB): one embedding per face, `None` for a degenerate one. The input
/// tensor is zeroed afterwards.
pub(crate) fn run(session: &mut Session, faces: &[&RgbImage]) -> Result<Vec<Option<Embedding>>, InferenceError> {
    let n = ALIGNED_SIZE as usize;
    let mut input = Array4::<f32>::zeros((faces.len(), 3, n, n));
    for (i, face) in faces.iter().enumerate() {
        write_planar(face, false, &mut input.slice_mut(s![i, .., .., ..]));
    }
    let result = infer(session, &input, faces.len());
    input.fill(0.0);
    result
}

fn infer(session: &mut Session, input: &Array4<f32>, count: usize) -> Result<Vec<Option<Embedding>>, InferenceError> {
    let tensor = TensorRef::from_array_view(input).map_err(|e| InferenceError::new("sface", e))?;
    let outputs = session.run(ort::inputs![tensor]).map_err(|e| InferenceError::new("sface", e))?;
    let out = outputs[0].try_extract_array::<f32>().map_err(|e| InferenceError::new("sface", e))?;
    if out.len() != count * EMBEDDING_DIM {
        return Err(InferenceError::new("sface", format!("output has {} values for {count} faces", out.len())));
    }
    let values: Vec<f32> = out.iter().copied().collect();
    let embeddings = values
        .chunks_exact(EMBEDDING_DIM)
        .map(|row| {
            let mut raw = [0.0f32; EMBEDDING_DIM];
            raw.copy_from_slice(row);
            Embedding::normalised(raw)
        })
        .collect();
    let mut values = values;
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
        let e = Embedding::normalised(raw).expect("non-zero");
        assert!((e.cosine(&e) - 1.0).abs() < 1e-6);
        assert!((e.as_slice()[0] - 0.6).abs() < 1e-6);
    }

    #[test]
    fn zero_and_nan_vectors_are_rejected() {
        assert!(Embedding::normalised([0.0; EMBEDDING_DIM]).is_none());
        let mut raw = [1.0f32; EMBEDDING_DIM];
        raw[3] = f32::NAN;
        assert!(Embedding::normalised(raw).is_none());
    }

    #[test]
    fn debug_never_prints_values() {
        let mut raw = [0.0f32; EMBEDDING_DIM];
        raw[0] = 0.123_456;
        let e = Embedding::normalised(raw).expect("non-zero");
        let shown = format!("{e:?}");
        assert_eq!(shown, "Embedding(<redacted>)");
    }
}
