//! Reading a tensor view out of host memory and writing values into one.

use crate::error::{Error, Result};
use crate::tensor::Tensor;
use half::f16;
use tessera_hal::{DeviceError, HostMemory};
use tessera_kernels::DType;

fn memory(t: &Tensor) -> Result<&HostMemory> {
    t.buffer()
        .backend::<HostMemory>()
        .ok_or(Error::Device(DeviceError::ForeignResource))
}

/// Where `t`'s buffer handle starts in its allocation, in bytes (a window's
/// offset; 0 for a whole buffer).
fn window_start(t: &Tensor) -> usize {
    t.buffer().offset() as usize
}

/// Element offsets (in the buffer) of `t`'s elements in row-major order.
fn element_offsets(t: &Tensor) -> Vec<usize> {
    let mut offsets = Vec::with_capacity(t.numel());
    if t.numel() == 0 {
        return offsets;
    }
    let rank = t.rank();
    let mut index = vec![0usize; rank];
    loop {
        let at: usize = t.offset()
            + index
                .iter()
                .zip(t.strides())
                .map(|(i, s)| i * s)
                .sum::<usize>();
        offsets.push(at);
        let mut axis = rank;
        loop {
            if axis == 0 {
                return offsets;
            }
            axis -= 1;
            index[axis] += 1;
            if index[axis] < t.shape()[axis] {
                break;
            }
            index[axis] = 0;
        }
    }
}

/// The raw bytes of `t`'s elements, row-major and contiguous.
pub(crate) fn read_raw(t: &Tensor) -> Result<Vec<u8>> {
    let size = t.dtype().size_in_bytes();
    let bytes = memory(t)?.bytes();
    let base = window_start(t);
    if t.is_contiguous() {
        let span = base + t.offset() * size..base + (t.offset() + t.numel()) * size;
        return bytes
            .get(span)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| overrun(t, bytes.len()));
    }
    let mut out = Vec::with_capacity(t.numel() * size);
    for at in element_offsets(t) {
        let start = base + at * size;
        let element = bytes
            .get(start..start + size)
            .ok_or_else(|| overrun(t, bytes.len()))?;
        out.extend_from_slice(element);
    }
    Ok(out)
}

/// Write row-major raw element bytes into the view `dst`.
pub(crate) fn write_raw(dst: &Tensor, values: &[u8]) -> Result<()> {
    let size = dst.dtype().size_in_bytes();
    if values.len() != dst.numel() * size {
        return Err(Error::Device(DeviceError::InvalidCall(format!(
            "{} bytes do not fill a {:?} {} view",
            values.len(),
            dst.shape(),
            dst.dtype()
        ))));
    }
    let mut bytes = memory(dst)?.bytes_mut();
    let len = bytes.len();
    let base = window_start(dst);
    if dst.is_contiguous() {
        let start = base + dst.offset() * size;
        let slot = bytes
            .get_mut(start..start + values.len())
            .ok_or_else(|| overrun(dst, len))?;
        slot.copy_from_slice(values);
        return Ok(());
    }
    for (at, value) in element_offsets(dst)
        .into_iter()
        .zip(values.chunks_exact(size))
    {
        let start = base + at * size;
        let slot = bytes
            .get_mut(start..start + size)
            .ok_or_else(|| overrun(dst, len))?;
        slot.copy_from_slice(value);
    }
    Ok(())
}

/// The error of a view that reaches past its `len`-byte buffer.
fn overrun(t: &Tensor, len: usize) -> Error {
    Error::Device(DeviceError::InvalidCall(format!(
        "a {:?} view at offset {} reaches past its {len}-byte buffer",
        t.shape(),
        t.offset()
    )))
}

/// The values of a float tensor as f32, row-major.
pub(crate) fn read_f32(t: &Tensor) -> Result<Vec<f32>> {
    let raw = read_raw(t)?;
    match t.dtype() {
        DType::F32 => Ok(bytemuck::pod_collect_to_vec(&raw)),
        DType::F16 => Ok(bytemuck::pod_collect_to_vec::<u8, f16>(&raw)
            .into_iter()
            .map(f32::from)
            .collect()),
        DType::I32 => Ok(bytemuck::pod_collect_to_vec::<u8, i32>(&raw)
            .into_iter()
            .map(|v| v as f32)
            .collect()),
        DType::U32 => Ok(bytemuck::pod_collect_to_vec::<u8, u32>(&raw)
            .into_iter()
            .map(|v| v as f32)
            .collect()),
    }
}

/// The values of a u32 or i32 tensor as u32 (i32 reinterpreted), row-major.
pub(crate) fn read_u32(t: &Tensor) -> Result<Vec<u32>> {
    match t.dtype() {
        DType::U32 | DType::I32 => Ok(bytemuck::pod_collect_to_vec(&read_raw(t)?)),
        found => Err(Error::DType {
            op: "read_u32",
            expected: "u32 or i32".into(),
            found,
        }),
    }
}

/// Write f32 values into the view `dst`, rounded once to its dtype (float to
/// int truncates toward zero, saturating, as WGSL's conversions do).
pub(crate) fn write_f32(dst: &Tensor, values: &[f32]) -> Result<()> {
    let raw: Vec<u8> = match dst.dtype() {
        DType::F32 => bytemuck::cast_slice(values).to_vec(),
        DType::F16 => {
            let h: Vec<f16> = values.iter().map(|&v| f16::from_f32(v)).collect();
            bytemuck::cast_slice(&h).to_vec()
        }
        DType::I32 => {
            let i: Vec<i32> = values.iter().map(|&v| v as i32).collect();
            bytemuck::cast_slice(&i).to_vec()
        }
        DType::U32 => {
            let u: Vec<u32> = values.iter().map(|&v| v as u32).collect();
            bytemuck::cast_slice(&u).to_vec()
        }
    };
    write_raw(dst, &raw)
}

/// Write u32 values into the u32 view `dst`.
pub(crate) fn write_u32(dst: &Tensor, values: &[u32]) -> Result<()> {
    write_raw(dst, bytemuck::cast_slice(values))
}
