//! Decoding a `TensorProto` (initializer, Constant, attribute, test data)
//! into a [`HostTensor`]: the type tag, dims and data length are checked
//! before any element buffer is allocated.

use super::error::{OnnxError, OnnxResult};
use super::external::read_external;
use super::limits::{checked_dims, numel};
use super::proto::tensor_proto::{DataLocation, DataType};
use super::proto::TensorProto;
use super::value::{HostData, HostTensor};
use std::path::Path;

/// The element size in bytes of the types we read, or `None` for the rest.
pub(crate) fn element_size(data_type: i32) -> Option<usize> {
    Some(match DataType::try_from(data_type).ok()? {
        DataType::Uint8 | DataType::Int8 | DataType::Bool => 1,
        DataType::Uint16 | DataType::Int16 | DataType::Float16 | DataType::Bfloat16 => 2,
        DataType::Float | DataType::Int32 | DataType::Uint32 => 4,
        DataType::Double | DataType::Int64 | DataType::Uint64 => 8,
        _ => return None,
    })
}

/// The name of an ONNX type tag, for messages and `onnx info`.
pub fn type_name(data_type: i32) -> String {
    match DataType::try_from(data_type) {
        Ok(t) => t.as_str_name().to_ascii_lowercase(),
        Err(_) => format!("type {data_type}"),
    }
}

/// Decodes `t`; `model_dir` is the folder external data is read from.
pub(crate) fn decode_tensor(t: &TensorProto, model_dir: Option<&Path>) -> OnnxResult<HostTensor> {
    let name = t.name.clone().unwrap_or_default();
    let bad = |message: String| OnnxError::BadTensor {
        tensor: name.clone(),
        message,
    };
    let data_type = t.data_type.unwrap_or(0);
    let size = element_size(data_type)
        .ok_or_else(|| bad(format!("unsupported element type {}", type_name(data_type))))?;
    let shape = checked_dims(&format!("tensor {name}"), &t.dims)?;
    if t.segment.is_some() {
        return Err(bad("segmented tensors are not supported".into()));
    }
    let n = numel(&shape);
    let bytes = n
        .checked_mul(size)
        .ok_or_else(|| bad("byte size overflows".into()))?;
    let external = t.data_location == Some(DataLocation::External as i32);
    let raw = if external {
        Some(read_external(&name, &t.external_data, model_dir, bytes)?)
    } else {
        t.raw_data.clone()
    };
    let data = match raw {
        Some(raw) => {
            if raw.len() != bytes {
                return Err(bad(format!(
                    "{} data bytes for shape {shape:?} of {} ({bytes} expected)",
                    raw.len(),
                    type_name(data_type)
                )));
            }
            from_raw(data_type, &raw)
        }
        None => from_fields(t, data_type, n).map_err(bad)?,
    };
    Ok(HostTensor { shape, data })
}

fn from_raw(data_type: i32, raw: &[u8]) -> HostData {
    fn chunks<const N: usize>(raw: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
        raw.chunks_exact(N).map(|c| {
            let mut a = [0u8; N];
            a.copy_from_slice(c);
            a
        })
    }
    use DataType as D;
    let ints = |v: Vec<i64>| HostData::I64(v);
    match DataType::try_from(data_type).unwrap_or(D::Undefined) {
        D::Float => HostData::F32(chunks::<4>(raw).map(f32::from_le_bytes).collect()),
        D::Double => HostData::F32(
            chunks::<8>(raw)
                .map(|b| f64::from_le_bytes(b) as f32)
                .collect(),
        ),
        D::Float16 => HostData::F32(
            chunks::<2>(raw)
                .map(|b| half::f16::from_le_bytes(b).to_f32())
                .collect(),
        ),
        D::Bfloat16 => HostData::F32(
            chunks::<2>(raw)
                .map(|b| half::bf16::from_le_bytes(b).to_f32())
                .collect(),
        ),
        D::Bool => HostData::Bool(raw.iter().map(|&b| b != 0).collect()),
        D::Uint8 => ints(raw.iter().map(|&b| i64::from(b)).collect()),
        D::Int8 => ints(raw.iter().map(|&b| i64::from(b as i8)).collect()),
        D::Uint16 => ints(
            chunks::<2>(raw)
                .map(|b| i64::from(u16::from_le_bytes(b)))
                .collect(),
        ),
        D::Int16 => ints(
            chunks::<2>(raw)
                .map(|b| i64::from(i16::from_le_bytes(b)))
                .collect(),
        ),
        D::Int32 => ints(
            chunks::<4>(raw)
                .map(|b| i64::from(i32::from_le_bytes(b)))
                .collect(),
        ),
        D::Uint32 => ints(
            chunks::<4>(raw)
                .map(|b| i64::from(u32::from_le_bytes(b)))
                .collect(),
        ),
        D::Int64 => ints(chunks::<8>(raw).map(i64::from_le_bytes).collect()),
        // u64 past i64::MAX wraps; such values never index or shape anything.
        _ => ints(
            chunks::<8>(raw)
                .map(|b| u64::from_le_bytes(b) as i64)
                .collect(),
        ),
    }
}

fn from_fields(t: &TensorProto, data_type: i32, n: usize) -> Result<HostData, String> {
    use DataType as D;
    let check = |len: usize, field: &str| {
        if len == n {
            Ok(())
        } else {
            Err(format!("{len} values in {field} for {n} elements"))
        }
    };
    let dt = DataType::try_from(data_type).unwrap_or(D::Undefined);
    Ok(match dt {
        D::Float => {
            check(t.float_data.len(), "float_data")?;
            HostData::F32(t.float_data.clone())
        }
        D::Double => {
            check(t.double_data.len(), "double_data")?;
            HostData::F32(t.double_data.iter().map(|&v| v as f32).collect())
        }
        D::Int64 => {
            check(t.int64_data.len(), "int64_data")?;
            HostData::I64(t.int64_data.clone())
        }
        D::Uint32 | D::Uint64 => {
            check(t.uint64_data.len(), "uint64_data")?;
            HostData::I64(t.uint64_data.iter().map(|&v| v as i64).collect())
        }
        D::Float16 | D::Bfloat16 => {
            check(t.int32_data.len(), "int32_data")?;
            let bits = t.int32_data.iter().map(|&v| v as u16);
            HostData::F32(if dt == D::Float16 {
                bits.map(|b| half::f16::from_bits(b).to_f32()).collect()
            } else {
                bits.map(|b| half::bf16::from_bits(b).to_f32()).collect()
            })
        }
        D::Bool => {
            check(t.int32_data.len(), "int32_data")?;
            HostData::Bool(t.int32_data.iter().map(|&v| v != 0).collect())
        }
        _ => {
            check(t.int32_data.len(), "int32_data")?;
            HostData::I64(t.int32_data.iter().map(|&v| i64::from(v)).collect())
        }
    })
}
