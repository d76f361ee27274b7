//! The tensor handle: shape, strides, dtype and device storage.

mod element;
pub mod shape;
mod view;
mod window;

pub use element::Element;
pub(crate) use window::binding_alignment;
pub use window::binding_limit;

use crate::error::{Error, Result, ShapeError};
use shape::{checked_numel, contiguous_strides};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tessera_hal::{Buffer, Device};
use tessera_kernels::DType;

static POISON_OUTPUTS: AtomicBool = AtomicBool::new(false);

/// When enabled, every buffer the runtime allocates for an op's output is filled
/// with NaN (0xFFFF_FFFF words) first, so a kernel that skips an element is caught.
/// Tests turn this on; it costs a host write per output.
pub fn set_poison_outputs(enabled: bool) {
    POISON_OUTPUTS.store(enabled, Ordering::Relaxed);
}

/// Whether [`set_poison_outputs`] is on.
pub(crate) fn poison_outputs_enabled() -> bool {
    POISON_OUTPUTS.load(Ordering::Relaxed)
}

/// A cheap handle to an n-dimensional array on a device. Clones share storage;
/// views (reshape, permute, slice, broadcast) share storage with new strides.
#[derive(Clone)]
pub struct Tensor {
    device: Arc<dyn Device>,
    buffer: Buffer,
    dtype: DType,
    shape: Vec<usize>,
    strides: Vec<usize>,
    offset: usize,
}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Tensor({}, {:?}, strides {:?}, offset {})",
            self.dtype, self.shape, self.strides, self.offset
        )
    }
}

impl Tensor {
    /// Upload `data` as a contiguous tensor of `shape`.
    pub fn from_slice<T: Element>(
        device: &Arc<dyn Device>,
        data: &[T],
        shape: &[usize],
    ) -> Result<Tensor> {
        let numel = checked_numel(shape)
            .ok_or_else(|| ShapeError::new("from_slice", "element count overflows", &[shape]))?;
        if numel != data.len() {
            return Err(ShapeError::new(
                "from_slice",
                format!("{} values do not fill {numel} elements", data.len()),
                &[shape],
            )
            .into());
        }
        let t = Tensor::uninit(device, T::DTYPE, shape, "from_slice")?;
        device.write(&t.buffer, 0, bytemuck::cast_slice(data))?;
        Ok(t)
    }

    /// Upload f32 values, stored as `dtype` (f32 or f16).
    pub fn from_f32(
        device: &Arc<dyn Device>,
        data: &[f32],
        shape: &[usize],
        dtype: DType,
    ) -> Result<Tensor> {
        match dtype {
            DType::F32 => Tensor::from_slice(device, data, shape),
            DType::F16 => {
                let h: Vec<half::f16> = data.iter().map(|&v| half::f16::from_f32(v)).collect();
                Tensor::from_slice(device, &h, shape)
            }
            other => Err(Error::DType {
                op: "from_f32",
                expected: "f32 or f16".into(),
                found: other,
            }),
        }
    }

    /// A contiguous tensor with undefined contents (NaN-filled when poisoning is on).
    pub fn uninit(
        device: &Arc<dyn Device>,
        dtype: DType,
        shape: &[usize],
        op: &'static str,
    ) -> Result<Tensor> {
        let numel = checked_numel(shape)
            .ok_or_else(|| ShapeError::new(op, "element count overflows", &[shape]))?;
        let bytes = numel
            .checked_mul(dtype.size_in_bytes())
            .ok_or_else(|| Error::TooLarge {
                op,
                message: format!("{shape:?} of {dtype} overflows"),
            })?;
        // Up to the largest buffer: ops bind windows of a buffer past the
        // binding limit (see `window.rs`).
        let limit = device.adapter().limits.max_buffer_size;
        if bytes as u64 > limit {
            return Err(Error::TooLarge {
                op,
                message: format!(
                    "tensor {shape:?} of {dtype} needs {bytes} bytes; the device's largest buffer is {limit}"
                ),
            });
        }
        if numel > u32::MAX as usize {
            return Err(Error::TooLarge {
                op,
                message: format!("{numel} elements exceed the kernels' 32-bit indexing"),
            });
        }
        let buffer = device.alloc(bytes as u64)?;
        if POISON_OUTPUTS.load(Ordering::Relaxed) && bytes > 0 {
            device.write(&buffer, 0, &vec![0xFF; bytes.div_ceil(4) * 4][..bytes])?;
        }
        Ok(Tensor {
            device: device.clone(),
            buffer,
            dtype,
            strides: contiguous_strides(shape),
            shape: shape.to_vec(),
            offset: 0,
        })
    }

    /// The device holding this tensor.
    pub fn device(&self) -> &Arc<dyn Device> {
        &self.device
    }

    /// The storage buffer (shared by views).
    pub fn buffer(&self) -> &Buffer {
        &self.buffer
    }

    /// Element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Dimensions.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Strides in elements.
    pub fn strides(&self) -> &[usize] {
        &self.strides
    }

    /// Offset of the first element in the buffer, in elements.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether elements are laid out row-major without gaps from `offset`.
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1usize;
        for (&d, &s) in self.shape.iter().zip(&self.strides).rev() {
            if d != 1 && s != expected {
                return false;
            }
            expected *= d;
        }
        true
    }

    /// Read the elements back in row-major order. Blocks (native); on the
    /// web use [`Tensor::to_vec_async`].
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        let (t, offset, size) = self.readable::<T>()?;
        let bytes = t.device.read(&t.buffer, offset, size)?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    /// [`Tensor::to_vec`] without blocking: the read-back the web needs, the
    /// same device read native waits on.
    pub async fn to_vec_async<T: Element>(&self) -> Result<Vec<T>> {
        let (t, offset, size) = self.readable::<T>()?;
        let bytes = t.device.read_async(&t.buffer, offset, size).await?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    /// A contiguous tensor of `T` elements and its byte range, ready to read.
    fn readable<T: Element>(&self) -> Result<(Tensor, u64, u64)> {
        if T::DTYPE != self.dtype {
            return Err(Error::DType {
                op: "to_vec",
                expected: T::DTYPE.to_string(),
                found: self.dtype,
            });
        }
        let t = self.contiguous()?;
        let size = t.dtype.size_in_bytes();
        let (offset, bytes) = ((t.offset * size) as u64, (t.numel() * size) as u64);
        Ok((t, offset, bytes))
    }

    /// Read a float tensor back as f32 values.
    pub fn to_f32_vec(&self) -> Result<Vec<f32>> {
        match self.dtype {
            DType::F32 => self.to_vec::<f32>(),
            DType::F16 => Ok(widen(self.to_vec::<half::f16>()?)),
            other => Err(not_float(other)),
        }
    }

    /// [`Tensor::to_f32_vec`] without blocking.
    pub async fn to_f32_vec_async(&self) -> Result<Vec<f32>> {
        match self.dtype {
            DType::F32 => self.to_vec_async::<f32>().await,
            DType::F16 => Ok(widen(self.to_vec_async::<half::f16>().await?)),
            other => Err(not_float(other)),
        }
    }

    /// A new handle with different layout over the same storage.
    pub(crate) fn with_layout(
        &self,
        shape: Vec<usize>,
        strides: Vec<usize>,
        offset: usize,
    ) -> Tensor {
        Tensor {
            device: self.device.clone(),
            buffer: self.buffer.clone(),
            dtype: self.dtype,
            shape,
            strides,
            offset,
        }
    }

    /// Check that `other` lives on the same device.
    pub(crate) fn same_device(&self, op: &'static str, other: &Tensor) -> Result<()> {
        if self.device.id() == other.device.id() {
            Ok(())
        } else {
            Err(Error::DeviceMismatch { op })
        }
    }
}

/// f16 values as f32.
fn widen(values: Vec<half::f16>) -> Vec<f32> {
    values.into_iter().map(f32::from).collect()
}

/// The error of reading a non-float tensor as f32.
fn not_float(found: DType) -> Error {
    Error::DType {
        op: "to_f32_vec",
        expected: "f32 or f16".into(),
        found,
    }
}
