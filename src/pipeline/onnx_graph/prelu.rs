//! PRelu written as Mul and Max. ONNX Runtime's CPU PRelu broadcasts its per-channel slope element by element and is
//! not fused into the convolution before it: in SFace it took half of each inference (18 of 36 ms, one thread,
//! ONNX Runtime's profiler), more than every convolution together. The same function from two fast elementwise
//! kernels: for a slope `s <= 1`, `PRelu(x) = Max(x, s * x)` (x > 0: `s * x <= x`; x <= 0: `s * x >= x`). Where a
//! channel's slope exceeds 1 the inequalities turn, so with `c = -1` on those channels and `+1` elsewhere,
//! `PRelu(x) = c * Max(c * x, (c * s) * x)`: multiplying by -1 is exact and rounding is symmetric, so both forms give
//! the very bits PRelu gives (the reference-vector tests compare whole embeddings). Only a PRelu whose slope is a
//! float initializer stored in the file is rewritten; anything else is left as it is.

use std::borrow::Cow;
use std::collections::HashMap;

use super::build::{
    float_tensor, node, FLOAT, GRAPH_NODE, NODE_ATTRIBUTE, NODE_DOMAIN, NODE_INPUT, NODE_NAME, NODE_OP_TYPE,
    NODE_OUTPUT, TENSOR_DATA_LOCATION, TENSOR_DATA_TYPE, TENSOR_DIMS, TENSOR_FLOAT_DATA, TENSOR_RAW_DATA,
};
use super::{
    fields, name_of, put_message, Field, FormatError, GRAPH_INITIALIZER, LENGTH_DELIMITED, MODEL_GRAPH, TENSOR_NAME,
};

/// `model` with every PRelu whose slope is a stored float tensor replaced as the module says; borrowed unchanged when
/// there is none.
pub fn prelu_as_max(model: &[u8]) -> Result<Cow<'_, [u8]>, FormatError> {
    let top = fields(model)?;
    let mut out = Vec::with_capacity(model.len() + 4096);
    let mut changed = false;
    for field in &top {
        if field.number != MODEL_GRAPH || field.wire != LENGTH_DELIMITED {
            out.extend_from_slice(field.raw);
            continue;
        }
        match rewrite_graph(field.payload)? {
            Some(graph) => {
                changed = true;
                put_message(&mut out, MODEL_GRAPH, &graph);
            }
            None => out.extend_from_slice(field.raw),
        }
    }
    Ok(if changed { Cow::Owned(out) } else { Cow::Borrowed(model) })
}

fn rewrite_graph(graph: &[u8]) -> Result<Option<Vec<u8>>, FormatError> {
    let graph_fields = fields(graph)?;
    let mut stored: HashMap<&[u8], &[u8]> = HashMap::new();
    for f in graph_fields.iter().filter(|f| f.number == GRAPH_INITIALIZER && f.wire == LENGTH_DELIMITED) {
        if let Some(name) = name_of(f.payload, TENSOR_NAME)? {
            stored.insert(name, f.payload);
        }
    }
    let mut out = Vec::with_capacity(graph.len() + 4096);
    let mut added = Vec::new();
    let mut rewritten = 0usize;
    for f in &graph_fields {
        if f.number == GRAPH_NODE && f.wire == LENGTH_DELIMITED {
            if let Some(prelu) = Prelu::parse(f.payload)? {
                if let Some(slope) = stored.get(prelu.slope).map(|t| Slope::parse(t)).transpose()?.flatten() {
                    prelu.replace(&slope, rewritten, &mut out, &mut added);
                    rewritten += 1;
                    continue;
                }
            }
        }
        out.extend_from_slice(f.raw);
    }
    for tensor in added {
        put_message(&mut out, GRAPH_INITIALIZER, &tensor);
    }
    Ok((rewritten > 0).then_some(out))
}

/// A PRelu node of the default domain: `Y = PRelu(X, slope)`.
struct Prelu<'a> {
    x: &'a [u8],
    slope: &'a [u8],
    y: &'a [u8],
    name: Option<&'a [u8]>,
}

impl<'a> Prelu<'a> {
    fn parse(node: &'a [u8]) -> Result<Option<Self>, FormatError> {
        let node_fields = fields(node)?;
        let strings = |number: u64| -> Vec<&'a [u8]> {
            node_fields.iter().filter(|f| f.number == number && f.wire == LENGTH_DELIMITED).map(|f| f.payload).collect()
        };
        let (op, domain) = (strings(NODE_OP_TYPE), strings(NODE_DOMAIN));
        let default_domain = domain.iter().all(|d| d.is_empty() || *d == b"ai.onnx");
        if op != [b"PRelu"] || !default_domain || node_fields.iter().any(|f| f.number == NODE_ATTRIBUTE) {
            return Ok(None);
        }
        let (inputs, outputs) = (strings(NODE_INPUT), strings(NODE_OUTPUT));
        let (&[x, slope], &[y]) = (inputs.as_slice(), outputs.as_slice()) else {
            return Ok(None);
        };
        let name = strings(NODE_NAME).first().copied().filter(|n| !n.is_empty());
        Ok(Some(Self { x, slope, y, name }))
    }

    /// Writes the replacement nodes to `nodes` and any new initializers to `tensors`; `k` makes the names unique.
    fn replace(&self, slope: &Slope, k: usize, nodes: &mut Vec<u8>, tensors: &mut Vec<Vec<u8>>) {
        let local = |what: &str| [self.y, format!("/faceverify_prelu{k}_{what}").as_bytes()].concat();
        let scaled = local("scaled");
        let last = self.name.map_or_else(|| local("out"), <[u8]>::to_vec);
        if slope.values.iter().all(|&s| s <= 1.0) {
            put_message(nodes, GRAPH_NODE, &node(&local("mul"), "Mul", &[self.x, self.slope], &scaled));
            put_message(nodes, GRAPH_NODE, &node(&last, "Max", &[self.x, &scaled], self.y));
            return;
        }
        let sign: Vec<f32> = slope.values.iter().map(|&s| if s > 1.0 { -1.0 } else { 1.0 }).collect();
        let signed_slope: Vec<f32> = slope.values.iter().zip(&sign).map(|(s, c)| s * c).collect();
        let (sign_name, signed_slope_name) = (local("sign"), local("signed_slope"));
        tensors.push(float_tensor(&sign_name, &slope.dims, &sign));
        tensors.push(float_tensor(&signed_slope_name, &slope.dims, &signed_slope));
        let (cx, max) = (local("cx"), local("max"));
        put_message(nodes, GRAPH_NODE, &node(&local("mul_sign"), "Mul", &[self.x, &sign_name], &cx));
        put_message(nodes, GRAPH_NODE, &node(&local("mul"), "Mul", &[self.x, &signed_slope_name], &scaled));
        put_message(nodes, GRAPH_NODE, &node(&local("max"), "Max", &[&cx, &scaled], &max));
        put_message(nodes, GRAPH_NODE, &node(&last, "Mul", &[&max, &sign_name], self.y));
    }
}

/// A float initializer's shape and values.
struct Slope {
    dims: Vec<u64>,
    values: Vec<f32>,
}

impl Slope {
    /// `None` for a tensor that is not float, is stored outside the file, has a value that is not finite (where
    /// `Max` and PRelu treat NaN differently), or whose values do not fill its shape.
    fn parse(tensor: &[u8]) -> Result<Option<Self>, FormatError> {
        let mut dims = Vec::new();
        let (mut data_type, mut values, mut external) = (0, Vec::new(), false);
        for f in fields(tensor)? {
            match (f.number, f.wire) {
                (TENSOR_DIMS, 0) => dims.push(varint_value(&f)?),
                (TENSOR_DIMS, LENGTH_DELIMITED) => {
                    let mut pos = 0;
                    while pos < f.payload.len() {
                        dims.push(super::varint(f.payload, &mut pos)?);
                    }
                }
                (TENSOR_DATA_TYPE, 0) => data_type = varint_value(&f)?,
                (TENSOR_FLOAT_DATA, LENGTH_DELIMITED) | (TENSOR_RAW_DATA, LENGTH_DELIMITED) => {
                    if f.payload.len() % 4 != 0 {
                        return Ok(None);
                    }
                    values.extend(f.payload.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])));
                }
                (TENSOR_FLOAT_DATA, 5) => {
                    let b = &f.raw[f.raw.len() - 4..];
                    values.push(f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                }
                (TENSOR_DATA_LOCATION, 0) => external = varint_value(&f)? != 0,
                _ => {}
            }
        }
        let count = dims.iter().try_fold(1u64, |n, &d| n.checked_mul(d));
        let fits = count == Some(values.len() as u64) && !values.is_empty() && values.iter().all(|v| v.is_finite());
        Ok((data_type == FLOAT && !external && fits).then_some(Self { dims, values }))
    }
}

/// The value of a varint field (its bytes after the tag).
fn varint_value(f: &Field<'_>) -> Result<u64, FormatError> {
    let mut pos = 0;
    super::varint(f.raw, &mut pos)?;
    super::varint(f.raw, &mut pos)
}

#[cfg(test)]
mod tests {
    use super::super::put_varint;
    use super::*;
    use proptest::prelude::*;

    fn strings(message: &[u8], number: u64) -> Vec<Vec<u8>> {
        fields(message)
            .expect("parses")
            .into_iter()
            .filter(|f| f.number == number && f.wire == LENGTH_DELIMITED)
            .map(|f| f.payload.to_vec())
            .collect()
    }

    /// A model whose graph is `y = PRelu(x, s)` with `s` stored (raw data) when `stored`, then a Relu after it.
    fn model(slopes: &[f32], stored: bool) -> Vec<u8> {
        let mut graph = Vec::new();
        put_message(&mut graph, GRAPH_NODE, &node(b"act", "PRelu", &[b"x", b"s"], b"y"));
        put_message(&mut graph, GRAPH_NODE, &node(b"after", "Relu", &[b"y"], b"z"));
        if stored {
            put_message(&mut graph, GRAPH_INITIALIZER, &float_tensor(b"s", &[slopes.len() as u64, 1, 1], slopes));
        }
        let mut model = Vec::new();
        put_varint(&mut model, 1 << 3);
        put_varint(&mut model, 8);
        put_message(&mut model, MODEL_GRAPH, &graph);
        model
    }

    fn graph_of(model: &[u8]) -> Vec<u8> {
        strings(model, MODEL_GRAPH).remove(0)
    }

    fn ops(model: &[u8]) -> Vec<String> {
        strings(&graph_of(model), GRAPH_NODE)
            .iter()
            .map(|n| String::from_utf8(strings(n, NODE_OP_TYPE).remove(0)).expect("utf8"))
            .collect()
    }

    #[test]
    fn slopes_up_to_one_become_mul_and_max_writing_the_same_output() {
        let original = model(&[0.25, -0.5, 1.0], true);
        let edited = prelu_as_max(&original).expect("parses");
        assert_eq!(ops(&edited), ["Mul", "Max", "Relu"]);
        let nodes = strings(&graph_of(&edited), GRAPH_NODE);
        assert_eq!(strings(&nodes[1], NODE_OUTPUT), [b"y".to_vec()], "the Max writes what PRelu wrote");
        assert_eq!(strings(&nodes[0], NODE_INPUT), [b"x".to_vec(), b"s".to_vec()], "the slope tensor is reused");
        assert_eq!(strings(&graph_of(&edited), GRAPH_INITIALIZER).len(), 1, "no tensor added");
    }

    #[test]
    fn a_slope_above_one_flips_the_sign_of_its_channel() {
        let original = model(&[0.25, 1.5], true);
        let edited = prelu_as_max(&original).expect("parses");
        assert_eq!(ops(&edited), ["Mul", "Mul", "Max", "Mul", "Relu"]);
        let tensors = strings(&graph_of(&edited), GRAPH_INITIALIZER);
        let values: Vec<Vec<f32>> =
            tensors.iter().map(|t| Slope::parse(t).expect("parses").expect("float").values).collect();
        assert_eq!(values, [vec![0.25, 1.5], vec![1.0, -1.0], vec![0.25, -1.5]]);
    }

    #[test]
    fn a_slope_that_is_not_finite_is_left_alone() {
        let original = model(&[0.25, f32::NAN], true);
        assert!(matches!(prelu_as_max(&original), Ok(Cow::Borrowed(_))));
    }

    #[test]
    fn a_slope_computed_in_the_graph_is_left_alone() {
        let original = model(&[0.25], false);
        assert!(matches!(prelu_as_max(&original), Ok(Cow::Borrowed(b)) if b == original.as_slice()));
    }

    proptest! {
        #[test]
        fn any_bytes_give_a_result_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = prelu_as_max(&bytes);
        }

        #[test]
        fn any_slopes_are_rewritten_into_a_parseable_graph(slopes in proptest::collection::vec(-3.0f32..3.0, 1..8)) {
            let original = model(&slopes, true);
            let edited = prelu_as_max(&original).expect("parses");
            let ops = ops(&edited);
            prop_assert_eq!(ops.last().map(String::as_str), Some("Relu"));
        }
    }
}
