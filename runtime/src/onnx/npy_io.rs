//! Graph inputs from NumPy arrays and graph outputs to them, by the types the
//! graph declares: an array whose dtype is not the input's declared type is
//! an error naming both, before anything runs.

use super::error::{OnnxError, OnnxResult};
use super::graph::ValueInfo;
use super::proto::tensor_proto::DataType;
use super::tensor_proto::type_name;
use super::value::{HostData, HostTensor, OnnxValue};
use crate::loaders::npy::{NpyArray, NpyDType, NpyData};
use crate::tensor::Tensor;
use std::sync::Arc;
use tessera_hal::Device;

/// The .npy dtype that holds values of ONNX type `elem_type` (`None`: no
/// .npy dtype we read holds it).
fn npy_type(elem_type: i32) -> Option<NpyDType> {
    use DataType as D;
    Some(match DataType::try_from(elem_type).ok()? {
        D::Float | D::Bfloat16 => NpyDType::F32,
        D::Float16 => NpyDType::F16,
        D::Double => NpyDType::F64,
        D::Int64 => NpyDType::I64,
        D::Int32 => NpyDType::I32,
        D::Bool => NpyDType::Bool,
        _ => return None,
    })
}

/// The graph input `info` from `array`: floats uploaded to `device`,
/// integers and booleans kept on the host.
pub fn npy_to_value(
    info: &ValueInfo,
    array: NpyArray,
    device: &Arc<dyn Device>,
) -> OnnxResult<OnnxValue> {
    if info.elem_type != 0 {
        let want = npy_type(info.elem_type).ok_or_else(|| OnnxError::BadInput {
            name: info.name.clone(),
            message: format!(
                "the graph declares {}, which no .npy dtype we read holds",
                type_name(info.elem_type)
            ),
        })?;
        if want != array.dtype {
            return Err(OnnxError::BadInput {
                name: info.name.clone(),
                message: format!(
                    "the graph declares {} (.npy {}), the file holds {}",
                    type_name(info.elem_type),
                    want.name(),
                    array.dtype.name()
                ),
            });
        }
    }
    Ok(match array.data {
        NpyData::Float(v) => {
            let v: Vec<f32> = v.into_iter().map(|x| x as f32).collect();
            OnnxValue::Tensor(Tensor::from_slice(device, &v, &array.shape)?)
        }
        NpyData::Int(v) if array.dtype == NpyDType::Bool => OnnxValue::Host(HostTensor::new(
            array.shape,
            HostData::Bool(v.into_iter().map(|b| b != 0).collect()),
        )?),
        NpyData::Int(v) => OnnxValue::Host(HostTensor::new(array.shape, HostData::I64(v))?),
    })
}

/// The graph output `info`'s `value` as an array of its declared type
/// (integers of other widths as int64; an undeclared type by the value).
pub fn value_to_npy(info: &ValueInfo, value: &OnnxValue) -> OnnxResult<NpyArray> {
    let h = value.to_host()?;
    let by_value = match h.data {
        HostData::F32(_) => NpyDType::F32,
        HostData::I64(_) => NpyDType::I64,
        HostData::Bool(_) => NpyDType::Bool,
    };
    let dtype = match info.elem_type {
        0 => by_value,
        t => npy_type(t).unwrap_or(if by_value.is_float() {
            NpyDType::F32
        } else {
            NpyDType::I64
        }),
    };
    let data = if dtype.is_float() {
        NpyData::Float(h.to_f32().into_iter().map(f64::from).collect())
    } else {
        NpyData::Int(h.to_i64())
    };
    Ok(NpyArray {
        dtype,
        shape: h.shape,
        data,
    })
}
