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

pub(crate) struct Embedder {
    session: Session,
}

impl Embedder {
    pub(crate) fn new(session: Session) -> Self {
        Self { session }
    }

    pub(crate) fn embed(&mut self, aligned: &RgbImage) -> Result<Embedding, InferenceError> {
        let n = ALIGNED_SIZE as usize;
        let mut input = Array4::<f32>::zeros((1, 3, n, n));
        write_planar(aligned, false, &mut input.slice_mut(s![0, .., .., ..]));
        let tensor = TensorRef::from_array_view(&input).map_err(|e| InferenceError::new("sface", e))?;
        let outputs = self.session.run(ort::inputs![tensor]).map_err(|e| InferenceError::new("sface", e))?;
        let out = outputs[0].try_extract_array::<f32>().map_err(|e| InferenceError::new("sface", e))?;
        if out.len() != EMBEDDING_DIM {
            return Err(InferenceError::new("sface", format!("output has {} values", out.len())));
        }
        let mut raw = [0.0f32; EMBEDDING_DIM];
        for (dst, src) in raw.iter_mut().zip(out.iter()) {
            *dst = *src;
        }
        input.fill(0.0);
        Embedding::normalised(raw).ok_or_else(|| InferenceError::new("sface", "degenerate embedding"))
    }
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
