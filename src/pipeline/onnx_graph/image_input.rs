//! A model fed the picture as the service holds it: `faceverify/image`, bytes `[N, H, W, 3]` in RGB order, turned
//! into the model's own input (`[N, 3, H, W]` floats, raw 0..255, RGB or BGR) by the graph itself:
//!
//! `image` -> `Cast` to float -> `Transpose` to planes -> (BGR models: `Gather` of planes 2, 1, 0) -> the input.
//!
//! Each step is exact (a byte is a float exactly; the others only move values), so the model computes the very bits
//! it computed from the float tensor the service used to write itself. What it buys: a quarter of the bytes cross
//! to the device (a 640x640 detector input is 1.2 MB instead of 4.9 MB), and on a GPU the conversion runs there.

use super::build::{
    int64_tensor, int_attribute, ints_attribute, node, value_info, Dim, FLOAT, GRAPH_NODE, NODE_ATTRIBUTE, UINT8,
};
use super::{
    fields, initializer_names, name_of, put_message, rewrite_first, FormatError, GRAPH_INITIALIZER, GRAPH_INPUT,
    LENGTH_DELIMITED, MODEL_GRAPH, SHAPE_DIM, TENSOR_TYPE_SHAPE, TYPE_TENSOR, VALUE_INFO_NAME, VALUE_INFO_TYPE,
};

/// The input a model edited by `with_image_input` takes.
pub const IMAGE_INPUT: &str = "faceverify/image";

/// `model` (one input `[N, 3, H, W]`, H and W fixed) reading `IMAGE_INPUT` as the module says; `bgr` when the
/// model wants its planes in BGR order.
pub fn with_image_input(model: &[u8], bgr: bool) -> Result<Vec<u8>, FormatError> {
    rewrite_first(model, MODEL_GRAPH, |graph| {
        let graph_fields = fields(graph)?;
        let initializers = initializer_names(&graph_fields)?;
        let mut inputs = Vec::new();
        for f in graph_fields.iter().filter(|f| f.number == GRAPH_INPUT && f.wire == LENGTH_DELIMITED) {
            match name_of(f.payload, VALUE_INFO_NAME)? {
                Some(name) if !initializers.contains(name) => inputs.push((f.raw, name, f.payload)),
                _ => {}
            }
        }
        let [(raw, input, info)] = inputs.as_slice() else {
            return Err(FormatError("the model must have exactly one input"));
        };
        let dims = dims_of(info)?;
        let [n, Dim::Value(3), Dim::Value(h), Dim::Value(w)] = dims.as_slice() else {
            return Err(FormatError("the model's input is not [N, 3, H, W] with H and W fixed"));
        };
        let (n, h, w) = (*n, *h, *w);
        let image = IMAGE_INPUT.as_bytes();
        let mut out = Vec::with_capacity(graph.len() + 512);
        let mut cast = node(b"faceverify/image/cast", "Cast", &[image], b"faceverify/image/float");
        put_message(&mut cast, NODE_ATTRIBUTE, &int_attribute("to", FLOAT as i64));
        put_message(&mut out, GRAPH_NODE, &cast);
        let planar: &[u8] = if bgr { b"faceverify/image/rgb_planes" } else { input };
        let mut transpose = node(b"faceverify/image/planes", "Transpose", &[b"faceverify/image/float"], planar);
        put_message(&mut transpose, NODE_ATTRIBUTE, &ints_attribute("perm", &[0, 3, 1, 2]));
        put_message(&mut out, GRAPH_NODE, &transpose);
        if bgr {
            let order: &[u8] = b"faceverify/image/bgr_order";
            let mut gather = node(b"faceverify/image/to_bgr", "Gather", &[planar, order], input);
            put_message(&mut gather, NODE_ATTRIBUTE, &int_attribute("axis", 1));
            put_message(&mut out, GRAPH_NODE, &gather);
            put_message(&mut out, GRAPH_INITIALIZER, &int64_tensor(order, &[3], &[2, 1, 0]));
        }
        for f in &graph_fields {
            if !std::ptr::eq(f.raw, *raw) {
                out.extend_from_slice(f.raw);
            }
        }
        put_message(
            &mut out,
            GRAPH_INPUT,
            &value_info(image, UINT8, &[n, Dim::Value(h), Dim::Value(w), Dim::Value(3)]),
        );
        Ok(out)
    })
}

/// The dimensions of a value info's tensor shape.
fn dims_of(info: &[u8]) -> Result<Vec<Dim<'_>>, FormatError> {
    let missing = || FormatError("the model's input has no tensor shape");
    let ty = name_of(info, VALUE_INFO_TYPE)?.ok_or_else(missing)?;
    let tensor = name_of(ty, TYPE_TENSOR)?.ok_or_else(missing)?;
    let shape = name_of(tensor, TENSOR_TYPE_SHAPE)?.ok_or_else(missing)?;
    let mut dims = Vec::new();
    for f in fields(shape)?.iter().filter(|f| f.number == SHAPE_DIM && f.wire == LENGTH_DELIMITED) {
        let mut dim = Dim::Param(b"");
        for d in fields(f.payload)? {
            match (d.number, d.wire) {
                (1, 0) => {
                    let mut pos = 0;
                    super::varint(d.raw, &mut pos)?;
                    dim = Dim::Value(super::varint(d.raw, &mut pos)?);
                }
                (2, LENGTH_DELIMITED) => dim = Dim::Param(d.payload),
                _ => {}
            }
        }
        dims.push(dim);
    }
    Ok(dims)
}

#[cfg(test)]
mod tests {
    use super::super::build::{node, value_info, Dim, FLOAT, GRAPH_NODE, NODE_OP_TYPE};
    use super::super::{fields, put_message, GRAPH_INPUT, LENGTH_DELIMITED, MODEL_GRAPH, VALUE_INFO_NAME};
    use super::*;
    use proptest::prelude::*;

    /// A model `y = Relu(x)` with `x` of shape `dims`.
    fn model(dims: &[Dim<'_>]) -> Vec<u8> {
        let mut graph = Vec::new();
        put_message(&mut graph, GRAPH_NODE, &node(b"act", "Relu", &[b"x"], b"y"));
        put_message(&mut graph, GRAPH_INPUT, &value_info(b"x", FLOAT, dims));
        let mut out = Vec::new();
        put_message(&mut out, MODEL_GRAPH, &graph);
        out
    }

    fn strings(message: &[u8], number: u64) -> Vec<Vec<u8>> {
        let all = fields(message).expect("parses");
        all.iter().filter(|f| f.number == number && f.wire == LENGTH_DELIMITED).map(|f| f.payload.to_vec()).collect()
    }

    fn ops_and_inputs(model: &[u8]) -> (Vec<String>, Vec<String>) {
        let graph = strings(model, MODEL_GRAPH).remove(0);
        let text = |b: Vec<u8>| String::from_utf8(b).expect("utf8");
        let ops = strings(&graph, GRAPH_NODE).into_iter().map(|n| text(strings(&n, NODE_OP_TYPE).remove(0))).collect();
        let inputs = strings(&graph, GRAPH_INPUT).into_iter().map(|i| text(strings(&i, VALUE_INFO_NAME).remove(0)));
        (ops, inputs.collect())
    }

    const NCHW: [Dim<'static>; 4] = [Dim::Param(b"N"), Dim::Value(3), Dim::Value(80), Dim::Value(80)];

    #[test]
    fn bytes_are_cast_laid_out_as_planes_and_reordered_for_a_bgr_model() {
        let bgr = with_image_input(&model(&NCHW), true).expect("edits");
        let (ops, inputs) = ops_and_inputs(&bgr);
        assert_eq!(ops, ["Cast", "Transpose", "Gather", "Relu"]);
        assert_eq!(inputs, [IMAGE_INPUT]);
        let rgb = with_image_input(&model(&NCHW), false).expect("edits");
        assert_eq!(ops_and_inputs(&rgb).0, ["Cast", "Transpose", "Relu"]);
        let graph = strings(&bgr, MODEL_GRAPH).remove(0);
        let input = strings(&graph, GRAPH_INPUT).remove(0);
        let want = [Dim::Param(b"N"), Dim::Value(80), Dim::Value(80), Dim::Value(3)];
        assert_eq!(dims_of(&input).expect("dims"), want);
    }

    #[test]
    fn a_model_whose_input_is_not_a_fixed_size_picture_is_refused() {
        let grey = [Dim::Value(1), Dim::Value(1), Dim::Value(80), Dim::Value(80)];
        let any_size = [Dim::Value(1), Dim::Value(3), Dim::Param(b"H"), Dim::Param(b"W")];
        for dims in [&grey[..], &any_size[..], &NCHW[..3]] {
            assert!(with_image_input(&model(dims), true).is_err(), "{dims:?}");
        }
        let mut two = Vec::new();
        put_message(&mut two, GRAPH_INPUT, &value_info(b"x", FLOAT, &NCHW));
        put_message(&mut two, GRAPH_INPUT, &value_info(b"z", FLOAT, &NCHW));
        let mut model_two = Vec::new();
        put_message(&mut model_two, MODEL_GRAPH, &two);
        assert_eq!(with_image_input(&model_two, true), Err(FormatError("the model must have exactly one input")));
    }

    proptest! {
        #[test]
        fn any_bytes_give_a_result_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = with_image_input(&bytes, true);
        }
    }
}
