//! Compile (cached) and record one dispatch: the quant ops' path to the device.
//! (The same steps as `ops::launch`, which is private to `ops`.)

use crate::error::{Error, Result};
use std::sync::Arc;
use tessera_hal::{Buffer, Device};
use tessera_kernels::KernelSource;

/// Compile `source` and record one dispatch over `buffers` with `params`;
/// `workgroups` is `None` when the spec found the grid too large.
pub(crate) fn dispatch<P: bytemuck::Pod>(
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
    let pipeline = device.compile(source)?;
    device.dispatch(&pipeline, buffers, bytemuck::bytes_of(params), workgroups)?;
    Ok(())
}

/// A count or offset as the kernels' u32, or a `TooLarge` error.
pub(crate) fn to_u32(op: &'static str, value: usize) -> Result<u32> {
    u32::try_from(value).map_err(|_| Error::TooLarge {
        op,
        message: format!("{value} exceeds the kernels' 32-bit indexing"),
    })
}
