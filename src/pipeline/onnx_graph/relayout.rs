//! A recognition model in another layout, built from one in hand: the test that a swapped model works needs a
//! second face-embedding model whose right answers are known, and no second one is shipped. `relayout` wraps the
//! network so that it reads a BGR face (of the same size, or twice it), normalised as `(v - 127.5) / 128` (the
//! layout of the InsightFace ArcFace exports), and returns its embedding rotated into 512 values:
//!
//! `face [N,3,kS,kS]` -> `*128 +127.5` -> BGR to RGB (`Gather` on the channel axis) -> (k = 2: `AveragePool 2x2`)
//! -> the original network -> `MatMul` by a 128x512 matrix with orthonormal rows (the first rows of a Sylvester
//! Hadamard matrix, scaled) -> `embedding [N,512]`.
//!
//! The rotation keeps every cosine, so at k = 1 the wrapped model scores a pair as the original does (to float
//! rounding) when the service honours the layout (colour order, mean and std, embedding length), and not when it
//! ignores any field of it. At k = 2 the scores also differ by the 2x2 averaging of a face aligned at twice the
//! size: a close model, not the same one.

use super::build::{
    float_tensor, int64_tensor, int_attribute, ints_attribute, node, value_info, Dim, FLOAT, GRAPH_NODE, NODE_ATTRIBUTE,
};
use super::{
    fields, initializer_names, name_of, put_message, rewrite_first, FormatError, GRAPH_INITIALIZER, GRAPH_INPUT,
    GRAPH_OUTPUT, LENGTH_DELIMITED, MODEL_GRAPH, VALUE_INFO_NAME,
};

/// The layout `relayout` gives: this mean and std on every plane, BGR, 512 values.
pub const RELAYOUT_MEAN: f32 = 127.5;
pub const RELAYOUT_STD: f32 = 128.0;
pub const RELAYOUT_DIM: usize = 512;

/// `model` (one input `[1,3,size,size]` RGB raw 0..255, one output `[1,dim]`, `dim` at most 512) in the layout the
/// module describes, reading faces `scale` (1 or 2) times the size.
pub fn relayout(model: &[u8], size: u64, dim: usize, scale: u64) -> Result<Vec<u8>, FormatError> {
    if dim == 0 || dim > RELAYOUT_DIM {
        return Err(FormatError("the embedding must have 1..=512 values"));
    }
    if !(1..=2).contains(&scale) {
        return Err(FormatError("the input is the same size or twice it"));
    }
    rewrite_first(model, MODEL_GRAPH, |graph| {
        let graph_fields = fields(graph)?;
        let initializers = initializer_names(&graph_fields)?;
        let named = |number: u64| -> Result<Option<&[u8]>, FormatError> {
            for f in graph_fields.iter().filter(|f| f.number == number && f.wire == LENGTH_DELIMITED) {
                match name_of(f.payload, VALUE_INFO_NAME)? {
                    Some(name) if !initializers.contains(name) => return Ok(Some(name)),
                    _ => {}
                }
            }
            Ok(None)
        };
        let input = named(GRAPH_INPUT)?.ok_or(FormatError("the model has no input"))?;
        let output = named(GRAPH_OUTPUT)?.ok_or(FormatError("the model has no output"))?;
        let mut out = Vec::with_capacity(graph.len() + RELAYOUT_DIM * dim * 4 + 1024);
        // The new front: nodes first, so the graph stays in topological order.
        let std = [RELAYOUT_STD; 3];
        let mean = [RELAYOUT_MEAN; 3];
        put_message(
            &mut out,
            GRAPH_NODE,
            &node(b"relayout/unscale", "Mul", &[b"face", b"relayout/std"], b"relayout/scaled"),
        );
        put_message(
            &mut out,
            GRAPH_NODE,
            &node(b"relayout/unshift", "Add", &[b"relayout/scaled", b"relayout/mean"], b"relayout/bgr"),
        );
        let rgb: &[u8] = if scale == 1 { input } else { b"relayout/rgb" };
        let mut gather = node(b"relayout/to_rgb", "Gather", &[b"relayout/bgr", b"relayout/rgb_order"], rgb);
        put_message(&mut gather, NODE_ATTRIBUTE, &int_attribute("axis", 1));
        put_message(&mut out, GRAPH_NODE, &gather);
        if scale == 2 {
            let mut pool = node(b"relayout/halve", "AveragePool", &[rgb], input);
            put_message(&mut pool, NODE_ATTRIBUTE, &ints_attribute("kernel_shape", &[2, 2]));
            put_message(&mut pool, NODE_ATTRIBUTE, &ints_attribute("strides", &[2, 2]));
            put_message(&mut out, GRAPH_NODE, &pool);
        }
        for f in &graph_fields {
            let is_io = f.wire == LENGTH_DELIMITED && (f.number == GRAPH_INPUT || f.number == GRAPH_OUTPUT);
            let replaced = is_io && name_of(f.payload, VALUE_INFO_NAME)?.is_some_and(|n| n == input || n == output);
            if !replaced {
                out.extend_from_slice(f.raw);
            }
        }
        put_message(
            &mut out,
            GRAPH_NODE,
            &node(b"relayout/rotate", "MatMul", &[output, b"relayout/rotation"], b"embedding"),
        );
        put_message(&mut out, GRAPH_INITIALIZER, &float_tensor(b"relayout/std", &[1, 3, 1, 1], &std));
        put_message(&mut out, GRAPH_INITIALIZER, &float_tensor(b"relayout/mean", &[1, 3, 1, 1], &mean));
        put_message(&mut out, GRAPH_INITIALIZER, &int64_tensor(b"relayout/rgb_order", &[3], &[2, 1, 0]));
        let rotation = rotation(dim);
        put_message(
            &mut out,
            GRAPH_INITIALIZER,
            &float_tensor(b"relayout/rotation", &[dim as u64, RELAYOUT_DIM as u64], &rotation),
        );
        put_message(&mut out, GRAPH_INPUT, &value_info(b"face", FLOAT, &fixed(&[1, 3, scale * size, scale * size])));
        put_message(&mut out, GRAPH_OUTPUT, &value_info(b"embedding", FLOAT, &fixed(&[1, RELAYOUT_DIM as u64])));
        Ok(out)
    })
}

fn fixed(dims: &[u64]) -> Vec<Dim<'static>> {
    dims.iter().map(|&d| Dim::Value(d)).collect()
}

/// The first `rows` rows of the 512x512 Sylvester Hadamard matrix over sqrt(512): orthonormal rows, every entry
/// non-zero, so each output value mixes every input value.
fn rotation(rows: usize) -> Vec<f32> {
    let scale = 1.0 / (RELAYOUT_DIM as f32).sqrt();
    let mut out = Vec::with_capacity(rows * RELAYOUT_DIM);
    for i in 0..rows {
        for j in 0..RELAYOUT_DIM {
            let negative = (i & j).count_ones() % 2 == 1;
            out.push(if negative { -scale } else { scale });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rotation_has_orthonormal_rows() {
        let q = rotation(128);
        for a in [0, 1, 77, 127] {
            for b in [0, 5, 77, 127] {
                let dot: f32 = (0..RELAYOUT_DIM).map(|j| q[a * RELAYOUT_DIM + j] * q[b * RELAYOUT_DIM + j]).sum();
                let want = if a == b { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-5, "rows {a} and {b}: {dot}");
            }
        }
    }

    #[test]
    fn a_model_without_input_or_with_too_long_an_embedding_is_refused() {
        let mut graph = Vec::new();
        put_message(&mut graph, GRAPH_OUTPUT, &value_info(b"y", FLOAT, &fixed(&[1, 128])));
        let mut model = Vec::new();
        put_message(&mut model, MODEL_GRAPH, &graph);
        assert_eq!(relayout(&model, 112, 128, 2), Err(FormatError("the model has no input")));
        assert!(relayout(&model, 112, 513, 2).is_err());
        assert!(relayout(&model, 112, 128, 3).is_err());
    }
}
