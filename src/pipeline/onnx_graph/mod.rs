//! Edits of an ONNX model's protobuf, in memory. First, graph inputs that are also initializers are dropped
//! from the input list. Old exporters (SFace 2021dec among them) list every weight as a graph input too, which tells ONNX
//! Runtime that a caller may feed it at run time: constant folding and fusions around those weights are then off.
//! The service never feeds them, so the graph computes the same function (the reference-vector test proves it on
//! the real model) and runs faster. Second, for batching, the first dimension of every graph input and output is
//! made symbolic (SFace's layers are per sample: convolutions, batch norm in inference mode, flatten, gemm). Nothing
//! else in the file changes: the other fields are copied byte for byte. Third, PRelu as Mul and Max (`prelu`): the
//! same bits, faster.

use std::borrow::Cow;
use std::collections::HashSet;

mod build;
mod image_input;
mod prelu;
mod relayout;
pub use image_input::{with_image_input, IMAGE_INPUT};
pub use prelu::prelu_as_max;
pub use relayout::{relayout, RELAYOUT_DIM, RELAYOUT_MEAN, RELAYOUT_STD};

const MODEL_GRAPH: u64 = 7;
const GRAPH_INITIALIZER: u64 = 5;
const GRAPH_INPUT: u64 = 11;
const GRAPH_OUTPUT: u64 = 12;
const VALUE_INFO_TYPE: u64 = 2;
const TYPE_TENSOR: u64 = 1;
const TENSOR_TYPE_SHAPE: u64 = 2;
const SHAPE_DIM: u64 = 1;
const DIM_PARAM: u64 = 2;
const TENSOR_NAME: u64 = 8;
const VALUE_INFO_NAME: u64 = 1;
const LENGTH_DELIMITED: u8 = 2;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a well-formed ONNX protobuf: {0}")]
pub struct FormatError(&'static str);

/// One protobuf field: its number, wire type, every byte of it (`raw`, tag included) and, when length-delimited,
/// its contents (`payload`).
struct Field<'a> {
    number: u64,
    wire: u8,
    raw: &'a [u8],
    payload: &'a [u8],
}

fn varint(buf: &[u8], pos: &mut usize) -> Result<u64, FormatError> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *buf.get(*pos).ok_or(FormatError("truncated varint"))?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(FormatError("varint longer than 10 bytes"))
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn fields(buf: &[u8]) -> Result<Vec<Field<'_>>, FormatError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let start = pos;
        let tag = varint(buf, &mut pos)?;
        let (number, wire) = (tag >> 3, (tag & 7) as u8);
        let payload_start;
        match wire {
            0 => {
                varint(buf, &mut pos)?;
                payload_start = pos;
            }
            1 | 5 => {
                let width = if wire == 1 { 8 } else { 4 };
                payload_start = pos;
                pos = pos.checked_add(width).filter(|&end| end <= buf.len()).ok_or(FormatError("truncated field"))?;
            }
            LENGTH_DELIMITED => {
                let len = usize::try_from(varint(buf, &mut pos)?).map_err(|_| FormatError("length overflow"))?;
                payload_start = pos;
                pos = pos.checked_add(len).filter(|&end| end <= buf.len()).ok_or(FormatError("truncated field"))?;
            }
            _ => return Err(FormatError("unsupported wire type")),
        }
        let payload = if wire == LENGTH_DELIMITED { &buf[payload_start..pos] } else { &[][..] };
        out.push(Field { number, wire, raw: &buf[start..pos], payload });
    }
    Ok(out)
}

/// The string field `number` of the message in `buf`, if present.
fn name_of(buf: &[u8], number: u64) -> Result<Option<&[u8]>, FormatError> {
    Ok(fields(buf)?.into_iter().find(|f| f.number == number && f.wire == LENGTH_DELIMITED).map(|f| f.payload))
}

/// The names of a graph's initializers (its stored weights), from the graph's fields.
fn initializer_names<'a>(graph: &[Field<'a>]) -> Result<HashSet<&'a [u8]>, FormatError> {
    let mut names = HashSet::new();
    for f in graph.iter().filter(|f| f.number == GRAPH_INITIALIZER && f.wire == LENGTH_DELIMITED) {
        names.extend(name_of(f.payload, TENSOR_NAME)?);
    }
    Ok(names)
}

/// `model` with the graph inputs that name an initializer removed; borrowed unchanged when there are none.
pub fn without_initializer_inputs(model: &[u8]) -> Result<Cow<'_, [u8]>, FormatError> {
    let top = fields(model)?;
    let mut out = Vec::with_capacity(model.len());
    let mut changed = false;
    for field in &top {
        if field.number != MODEL_GRAPH || field.wire != LENGTH_DELIMITED {
            out.extend_from_slice(field.raw);
            continue;
        }
        let graph = fields(field.payload)?;
        let initializers = initializer_names(&graph)?;
        let mut kept = Vec::with_capacity(field.payload.len());
        for f in &graph {
            let is_weight_input = f.number == GRAPH_INPUT
                && f.wire == LENGTH_DELIMITED
                && name_of(f.payload, VALUE_INFO_NAME)?.is_some_and(|name| initializers.contains(name));
            if is_weight_input {
                changed = true;
            } else {
                kept.extend_from_slice(f.raw);
            }
        }
        put_varint(&mut out, (MODEL_GRAPH << 3) | u64::from(LENGTH_DELIMITED));
        put_varint(&mut out, kept.len() as u64);
        out.extend_from_slice(&kept);
    }
    Ok(if changed { Cow::Owned(out) } else { Cow::Borrowed(model) })
}

fn put_message(out: &mut Vec<u8>, number: u64, payload: &[u8]) {
    put_varint(out, (number << 3) | u64::from(LENGTH_DELIMITED));
    put_varint(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

/// `buf` with the first message field `number` replaced by `edit` of its contents; an error when there is none.
fn rewrite_first(
    buf: &[u8],
    number: u64,
    edit: impl FnOnce(&[u8]) -> Result<Vec<u8>, FormatError>,
) -> Result<Vec<u8>, FormatError> {
    let mut out = Vec::with_capacity(buf.len() + 8);
    let mut edit = Some(edit);
    for f in fields(buf)? {
        match edit.take_if(|_| f.number == number && f.wire == LENGTH_DELIMITED) {
            Some(edit) => put_message(&mut out, number, &edit(f.payload)?),
            None => out.extend_from_slice(f.raw),
        }
    }
    match edit {
        None => Ok(out),
        Some(_) => Err(FormatError("a graph input or output has no tensor shape")),
    }
}

/// `model` whose graph inputs and outputs take any number of samples: their first dimension becomes `N`.
pub fn with_dynamic_batch(model: &[u8]) -> Result<Vec<u8>, FormatError> {
    let batch_dim = |_: &[u8]| {
        let mut dim = Vec::new();
        put_message(&mut dim, DIM_PARAM, b"N");
        Ok(dim)
    };
    let value_info = |vi: &[u8]| {
        rewrite_first(vi, VALUE_INFO_TYPE, |t| {
            rewrite_first(t, TYPE_TENSOR, |tensor| {
                rewrite_first(tensor, TENSOR_TYPE_SHAPE, |shape| rewrite_first(shape, SHAPE_DIM, batch_dim))
            })
        })
    };
    rewrite_first(model, MODEL_GRAPH, |graph| {
        let mut out = Vec::with_capacity(graph.len() + 64);
        for f in fields(graph)? {
            if (f.number == GRAPH_INPUT || f.number == GRAPH_OUTPUT) && f.wire == LENGTH_DELIMITED {
                put_message(&mut out, f.number, &value_info(f.payload)?);
            } else {
                out.extend_from_slice(f.raw);
            }
        }
        Ok(out)
    })
}

/// How many graph inputs `model` declares (tests, diagnostics).
pub fn graph_input_count(model: &[u8]) -> Result<usize, FormatError> {
    let mut count = 0;
    for field in fields(model)?.iter().filter(|f| f.number == MODEL_GRAPH && f.wire == LENGTH_DELIMITED) {
        count += fields(field.payload)?.iter().filter(|f| f.number == GRAPH_INPUT).count();
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn message(number: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        put_varint(&mut out, (number << 3) | 2);
        put_varint(&mut out, payload.len() as u64);
        out.extend_from_slice(payload);
        out
    }

    fn varint_field(number: u64, value: u64) -> Vec<u8> {
        let mut out = Vec::new();
        put_varint(&mut out, number << 3);
        put_varint(&mut out, value);
        out
    }

    /// ir_version, a graph with a node, initializer `w` (with 300 bytes of raw data), inputs `x` and `w`, and an
    /// opset import after the graph.
    fn model(inputs: &[&str]) -> Vec<u8> {
        let mut graph = message(1, b"node-bytes");
        let tensor = [message(TENSOR_NAME, b"w"), varint_field(2, 1), message(9, &[7u8; 300])].concat();
        graph.extend(message(GRAPH_INITIALIZER, &tensor));
        for name in inputs {
            graph.extend(message(
                GRAPH_INPUT,
                &[message(VALUE_INFO_NAME, name.as_bytes()), message(2, b"type")].concat(),
            ));
        }
        graph.extend(message(12, &message(VALUE_INFO_NAME, b"y")));
        [varint_field(1, 7), message(MODEL_GRAPH, &graph), message(8, &varint_field(2, 13))].concat()
    }

    #[test]
    fn inputs_naming_an_initializer_are_dropped_and_nothing_else_changes() {
        let original = model(&["x", "w"]);
        let edited = without_initializer_inputs(&original).expect("edits");
        assert!(matches!(edited, Cow::Owned(_)));
        assert_eq!(edited.as_ref(), model(&["x"]).as_slice());
        assert_eq!(graph_input_count(&edited), Ok(1));
    }

    #[test]
    fn a_model_without_such_inputs_is_returned_as_is() {
        let clean = model(&["x"]);
        assert!(matches!(without_initializer_inputs(&clean), Ok(Cow::Borrowed(b)) if b == clean.as_slice()));
    }

    #[test]
    fn the_first_dimension_of_inputs_and_outputs_becomes_symbolic() {
        let graph = |first: &[u8]| {
            let mut dims_in = message(SHAPE_DIM, first);
            dims_in.extend(message(SHAPE_DIM, &varint_field(1, 3)));
            let tensor_in = [varint_field(1, 1), message(TENSOR_TYPE_SHAPE, &dims_in)].concat();
            let input =
                [message(VALUE_INFO_NAME, b"data"), message(VALUE_INFO_TYPE, &message(TYPE_TENSOR, &tensor_in))];
            let mut dims_out = message(SHAPE_DIM, first);
            dims_out.extend(message(SHAPE_DIM, &varint_field(1, 128)));
            let tensor_out = [varint_field(1, 1), message(TENSOR_TYPE_SHAPE, &dims_out)].concat();
            let output =
                [message(VALUE_INFO_NAME, b"fc1"), message(VALUE_INFO_TYPE, &message(TYPE_TENSOR, &tensor_out))];
            let g =
                [message(1, b"node"), message(GRAPH_INPUT, &input.concat()), message(GRAPH_OUTPUT, &output.concat())];
            [varint_field(1, 7), message(MODEL_GRAPH, &g.concat())].concat()
        };
        let fixed = graph(&varint_field(1, 1));
        let symbolic = graph(&message(DIM_PARAM, b"N"));
        assert_eq!(with_dynamic_batch(&fixed).expect("edits"), symbolic);
        assert_eq!(with_dynamic_batch(&symbolic).expect("idempotent"), symbolic);
    }

    #[test]
    fn a_model_without_shapes_cannot_be_made_batchable() {
        let no_shape =
            [varint_field(1, 7), message(MODEL_GRAPH, &message(GRAPH_INPUT, &message(VALUE_INFO_NAME, b"x")))];
        assert!(with_dynamic_batch(&no_shape.concat()).is_err());
    }

    #[test]
    fn malformed_bytes_are_an_error() {
        let mut truncated = model(&["x", "w"]);
        truncated.truncate(truncated.len() - 3);
        assert!(without_initializer_inputs(&truncated).is_err());
        assert_eq!(without_initializer_inputs(&[0x80; 11]).err(), Some(FormatError("varint longer than 10 bytes")));
        assert!(without_initializer_inputs(&[0x0b]).is_err(), "group wire type");
    }

    proptest! {
        #[test]
        fn any_bytes_give_a_result_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = without_initializer_inputs(&bytes);
            let _ = graph_input_count(&bytes);
            let _ = with_dynamic_batch(&bytes);
        }
    }
}
