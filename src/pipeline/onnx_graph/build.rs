//! Writing the small pieces of ONNX protobuf the edits add: nodes, attributes, initializers, value infos. Field
//! numbers are onnx.proto3's.

use super::{
    put_message, put_varint, DIM_PARAM, SHAPE_DIM, TENSOR_NAME, TENSOR_TYPE_SHAPE, TYPE_TENSOR, VALUE_INFO_NAME,
    VALUE_INFO_TYPE,
};

pub(super) const GRAPH_NODE: u64 = 1;
pub(super) const NODE_INPUT: u64 = 1;
pub(super) const NODE_OUTPUT: u64 = 2;
pub(super) const NODE_NAME: u64 = 3;
pub(super) const NODE_OP_TYPE: u64 = 4;
pub(super) const NODE_ATTRIBUTE: u64 = 5;
pub(super) const NODE_DOMAIN: u64 = 7;
pub(super) const TENSOR_DIMS: u64 = 1;
pub(super) const TENSOR_DATA_TYPE: u64 = 2;
pub(super) const TENSOR_FLOAT_DATA: u64 = 4;
pub(super) const TENSOR_RAW_DATA: u64 = 9;
pub(super) const TENSOR_DATA_LOCATION: u64 = 14;
pub(super) const TENSOR_ELEM_TYPE: u64 = 1;
pub(super) const DIM_VALUE: u64 = 1;
const ATTRIBUTE_NAME: u64 = 1;
const ATTRIBUTE_I: u64 = 3;
const ATTRIBUTE_INTS: u64 = 8;
const ATTRIBUTE_TYPE: u64 = 20;
const ATTRIBUTE_INT: u64 = 2;
const ATTRIBUTE_INTS_TYPE: u64 = 7;

/// ONNX element types.
pub(super) const FLOAT: u64 = 1;
pub(super) const UINT8: u64 = 2;
pub(super) const INT64: u64 = 7;

/// One dimension of a value info: a size, or a name shared by the dimensions that are the same at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dim<'a> {
    Value(u64),
    Param(&'a [u8]),
}

pub(super) fn node(name: &[u8], op_type: &str, inputs: &[&[u8]], output: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for input in inputs {
        put_message(&mut out, NODE_INPUT, input);
    }
    put_message(&mut out, NODE_OUTPUT, output);
    put_message(&mut out, NODE_NAME, name);
    put_message(&mut out, NODE_OP_TYPE, op_type.as_bytes());
    out
}

pub(super) fn float_tensor(name: &[u8], dims: &[u64], values: &[f32]) -> Vec<u8> {
    let raw: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    tensor(name, dims, FLOAT, &raw)
}

pub(super) fn int64_tensor(name: &[u8], dims: &[u64], values: &[i64]) -> Vec<u8> {
    let raw: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    tensor(name, dims, INT64, &raw)
}

/// An initializer of ONNX element type `data_type` whose little-endian values are `raw`.
pub(super) fn tensor(name: &[u8], dims: &[u64], data_type: u64, raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut packed = Vec::new();
    for &d in dims {
        put_varint(&mut packed, d);
    }
    put_message(&mut out, TENSOR_DIMS, &packed);
    put_varint(&mut out, TENSOR_DATA_TYPE << 3);
    put_varint(&mut out, data_type);
    put_message(&mut out, TENSOR_NAME, name);
    put_message(&mut out, TENSOR_RAW_DATA, raw);
    out
}

pub(super) fn int_attribute(name: &str, value: i64) -> Vec<u8> {
    let mut out = Vec::new();
    put_message(&mut out, ATTRIBUTE_NAME, name.as_bytes());
    put_varint(&mut out, ATTRIBUTE_I << 3);
    put_varint(&mut out, value as u64);
    put_varint(&mut out, ATTRIBUTE_TYPE << 3);
    put_varint(&mut out, ATTRIBUTE_INT);
    out
}

pub(super) fn ints_attribute(name: &str, values: &[i64]) -> Vec<u8> {
    let mut out = Vec::new();
    put_message(&mut out, ATTRIBUTE_NAME, name.as_bytes());
    for &v in values {
        put_varint(&mut out, ATTRIBUTE_INTS << 3);
        put_varint(&mut out, v as u64);
    }
    put_varint(&mut out, ATTRIBUTE_TYPE << 3);
    put_varint(&mut out, ATTRIBUTE_INTS_TYPE);
    out
}

/// A tensor's value info: its name, element type and shape.
pub(super) fn value_info(name: &[u8], elem_type: u64, dims: &[Dim<'_>]) -> Vec<u8> {
    let mut shape = Vec::new();
    for dim in dims {
        let mut encoded = Vec::new();
        match *dim {
            Dim::Value(size) => {
                put_varint(&mut encoded, DIM_VALUE << 3);
                put_varint(&mut encoded, size);
            }
            Dim::Param(param) => put_message(&mut encoded, DIM_PARAM, param),
        }
        put_message(&mut shape, SHAPE_DIM, &encoded);
    }
    let mut tensor = Vec::new();
    put_varint(&mut tensor, TENSOR_ELEM_TYPE << 3);
    put_varint(&mut tensor, elem_type);
    put_message(&mut tensor, TENSOR_TYPE_SHAPE, &shape);
    let mut ty = Vec::new();
    put_message(&mut ty, TYPE_TENSOR, &tensor);
    let mut out = Vec::new();
    put_message(&mut out, VALUE_INFO_NAME, name);
    put_message(&mut out, VALUE_INFO_TYPE, &ty);
    out
}
