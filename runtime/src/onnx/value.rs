//! Values of an ONNX graph: float tensors on the device, and host tensors
//! (integers and booleans, which feed shapes and indices, and constants
//! before they are uploaded).

use super::error::{OnnxError, OnnxResult};
use crate::tensor::Tensor;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::DType;

/// The elements of a host tensor: every float type is held as f32, every
/// integer type as i64.
#[derive(Debug, Clone, PartialEq)]
pub enum HostData {
    /// float, double, float16, bfloat16 values.
    F32(Vec<f32>),
    /// Signed and unsigned integers of every width.
    I64(Vec<i64>),
    /// Booleans.
    Bool(Vec<bool>),
}

impl HostData {
    /// The number of elements.
    pub fn len(&self) -> usize {
        match self {
            HostData::F32(v) => v.len(),
            HostData::I64(v) => v.len(),
            HostData::Bool(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A tensor in host memory: row-major data and its shape.
#[derive(Debug, Clone, PartialEq)]
pub struct HostTensor {
    /// The dims.
    pub shape: Vec<usize>,
    /// The elements, row-major; their count is the product of `shape`.
    pub data: HostData,
}

impl HostTensor {
    /// A tensor of `data` shaped `shape`; the element count must match.
    pub fn new(shape: Vec<usize>, data: HostData) -> OnnxResult<HostTensor> {
        let numel = crate::tensor::shape::checked_numel(&shape);
        if numel != Some(data.len()) {
            return Err(OnnxError::BadTensor {
                tensor: String::new(),
                message: format!("{} values do not fill shape {shape:?}", data.len()),
            });
        }
        Ok(HostTensor { shape, data })
    }

    /// A rank-1 tensor of integers.
    pub fn ints(values: Vec<i64>) -> HostTensor {
        HostTensor {
            shape: vec![values.len()],
            data: HostData::I64(values),
        }
    }

    /// The values as f32 (integers and booleans converted).
    pub fn to_f32(&self) -> Vec<f32> {
        match &self.data {
            HostData::F32(v) => v.clone(),
            HostData::I64(v) => v.iter().map(|&x| x as f32).collect(),
            HostData::Bool(v) => v.iter().map(|&x| f32::from(u8::from(x))).collect(),
        }
    }

    /// The values as i64 (floats truncated toward zero, booleans as 0/1).
    pub fn to_i64(&self) -> Vec<i64> {
        match &self.data {
            HostData::F32(v) => v.iter().map(|&x| x as i64).collect(),
            HostData::I64(v) => v.clone(),
            HostData::Bool(v) => v.iter().map(|&x| i64::from(x)).collect(),
        }
    }

    /// Whether the elements are floats.
    pub fn is_float(&self) -> bool {
        matches!(self.data, HostData::F32(_))
    }
}

/// A value flowing through the graph.
#[derive(Debug, Clone)]
pub enum OnnxValue {
    /// A float tensor on the device (f32; f16 inputs are accepted too).
    Tensor(Tensor),
    /// A tensor in host memory (integers, booleans, constants).
    Host(HostTensor),
}

impl OnnxValue {
    /// The dims.
    pub fn shape(&self) -> &[usize] {
        match self {
            OnnxValue::Tensor(t) => t.shape(),
            OnnxValue::Host(h) => &h.shape,
        }
    }

    /// Whether the elements are floats.
    pub fn is_float(&self) -> bool {
        match self {
            OnnxValue::Tensor(t) => t.dtype().is_float(),
            OnnxValue::Host(h) => h.is_float(),
        }
    }

    /// The value in host memory (reads a device tensor back).
    pub fn to_host(&self) -> OnnxResult<HostTensor> {
        match self {
            OnnxValue::Host(h) => Ok(h.clone()),
            OnnxValue::Tensor(t) => {
                let data = match t.dtype() {
                    DType::F32 | DType::F16 => HostData::F32(t.to_f32_vec()?),
                    DType::I32 => {
                        HostData::I64(t.to_vec::<i32>()?.into_iter().map(i64::from).collect())
                    }
                    DType::U32 => {
                        HostData::I64(t.to_vec::<u32>()?.into_iter().map(i64::from).collect())
                    }
                };
                Ok(HostTensor {
                    shape: t.shape().to_vec(),
                    data,
                })
            }
        }
    }

    /// The value as an f32 tensor on `device` (host values are converted and uploaded).
    pub fn to_device(&self, device: &Arc<dyn Device>) -> OnnxResult<Tensor> {
        match self {
            OnnxValue::Tensor(t) if t.dtype().is_float() => Ok(t.clone()),
            OnnxValue::Tensor(t) => Ok(t.cast(DType::F32)?),
            OnnxValue::Host(h) => Ok(Tensor::from_slice(device, &h.to_f32(), &h.shape)?),
        }
    }
}
