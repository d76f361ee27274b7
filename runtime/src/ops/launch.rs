//! The one path from an op to the device: compile (cached) and record a dispatch.

use crate::error::{Error, Result};
use crate::tensor::Tensor;
use std::sync::Arc;
use tessera_hal::{Buffer, Device};
use tessera_kernels::KernelSource;

/// Compile `source` and record one dispatch over `buffers` with `params`.
/// `workgroups` is `None` when the op's spec found the grid too large. A
/// buffer past the binding limit is `TooLarge`: ops split such operands
/// before they get here (see [`crate::tensor::Tensor::row_windows`]).
pub(crate) fn launch<P: bytemuck::Pod>(
    op: &'static str,
    device: &Arc<dyn Device>,
    source: &KernelSource,
    buffers: &[&Buffer],
    params: &P,
    workgroups: Option<[u32; 3]>,
) -> Result<()> {
    let workgroups = workgroups.ok_or_else(|| Error::TooLarge {
        op,
        message: "the dispatch grid exceeds the device's workgroup limits".into(),
    })?;
    let limit = crate::tensor::binding_limit(device);
    if let Some(big) = buffers.iter().find(|b| b.size() > limit) {
        return Err(Error::TooLarge {
            op,
            message: format!(
                "an operand of {} bytes exceeds the device's {limit}-byte storage binding \
                 and this op does not split it",
                big.size()
            ),
        });
    }
    let pipeline = device.compile(source.into())?;
    device.dispatch(&pipeline, buffers, bytemuck::bytes_of(params), workgroups)?;
    Ok(())
}

/// An element offset or count as the kernels' u32, or a `TooLarge` error.
pub(crate) fn to_u32(op: &'static str, value: usize) -> Result<u32> {
    u32::try_from(value).map_err(|_| Error::TooLarge {
        op,
        message: format!("{value} exceeds the kernels' 32-bit indexing"),
    })
}

/// Check every tensor lives on `first`'s device.
pub(crate) fn same_device(op: &'static str, tensors: &[&Tensor]) -> Result<()> {
    if let Some((first, rest)) = tensors.split_first() {
        for t in rest {
            first.same_device(op, t)?;
        }
    }
    Ok(())
}

/// Pad shape/stride lists to the kernels' fixed-size arrays.
pub(crate) fn pad8(op: &'static str, values: &[usize]) -> Result<[u32; 8]> {
    if values.len() > 8 {
        return Err(Error::TooLarge {
            op,
            message: format!("rank {} exceeds 8", values.len()),
        });
    }
    let mut out = [0u32; 8];
    for (o, &v) in out.iter_mut().zip(values) {
        *o = to_u32(op, v)?;
    }
    Ok(out)
}
