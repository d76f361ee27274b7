//! Checks the values given to `run` against the graph's declared inputs:
//! the count, the element kind, the rank and every fixed or named dim.

use super::error::{OnnxError, OnnxResult};
use super::graph::{Dim, ValueInfo};
use super::proto::tensor_proto::DataType;
use super::value::OnnxValue;
use std::collections::HashMap;

/// Whether an ONNX type tag is a float type.
pub(crate) fn is_float_type(t: i32) -> bool {
    [
        DataType::Float,
        DataType::Double,
        DataType::Float16,
        DataType::Bfloat16,
    ]
    .iter()
    .any(|d| *d as i32 == t)
}

/// Checks `values` against `declared`; symbolic dims must agree across inputs.
pub(crate) fn check_inputs(declared: &[ValueInfo], values: &[OnnxValue]) -> OnnxResult<()> {
    if values.len() != declared.len() {
        let names: Vec<&str> = declared.iter().map(|v| v.name.as_str()).collect();
        return Err(OnnxError::BadInput {
            name: "(all)".into(),
            message: format!(
                "{} values given for the {} inputs {names:?}",
                values.len(),
                names.len()
            ),
        });
    }
    let mut symbols: HashMap<&str, usize> = HashMap::new();
    for (info, value) in declared.iter().zip(values) {
        let bad = |message: String| OnnxError::BadInput {
            name: info.name.clone(),
            message,
        };
        if info.elem_type != 0 && is_float_type(info.elem_type) != value.is_float() {
            return Err(bad(format!(
                "the graph declares {}, got {} values",
                super::tensor_proto::type_name(info.elem_type),
                if value.is_float() {
                    "float"
                } else {
                    "integer or boolean"
                }
            )));
        }
        let Some(dims) = &info.dims else { continue };
        let shape = value.shape();
        if dims.len() != shape.len() {
            return Err(bad(format!(
                "rank {} given, the graph declares {}",
                shape.len(),
                dims.len()
            )));
        }
        for (d, (dim, &size)) in dims.iter().zip(shape).enumerate() {
            match dim {
                Dim::Fixed(n) if *n >= 0 && *n as usize != size => {
                    return Err(bad(format!("dim {d} is {size}, the graph declares {n}")));
                }
                Dim::Symbolic(name) => {
                    let first = *symbols.entry(name.as_str()).or_insert(size);
                    if first != size {
                        return Err(bad(format!(
                            "dim {d} ({name}) is {size}, but {name} is {first} elsewhere"
                        )));
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}
