//! The CPU backend's op executor: on a device whose [`Execution`] is
//! `HostOps` (the [`tessera_hal::CpuDevice`]), every op runs its plain-Rust
//! reference ([`crate::reference`]) over host memory instead of a WGSL program.
//!
//! Rules of this module:
//! - Ops call it after their host-side checks, so shape, dtype and device
//!   errors are the same on every backend; it only computes.
//! - Inputs are read into row-major `f32` (floats) or `u32` values through the
//!   tensor's view (offset, strides); results are rounded once to the output's
//!   dtype. Data movement (copy, concat, gather) moves raw elements, exactly.
//! - It holds no lock while computing: inputs are read (and the guards
//!   dropped) before an output, which may share a buffer with an input, is
//!   written.
//!
//! [`Execution`]: tessera_hal::Execution

mod memory;
mod ops;
mod window;

pub(crate) use memory::{read_u32, write_f32};
pub(crate) use ops::*;
pub(crate) use window::{conv, conv_transpose, pool, ConvTensors};

use std::sync::Arc;
use tessera_hal::{Device, Execution};

/// Whether ops on `device` run here, on the host, instead of as programs.
pub(crate) fn runs_on_host(device: &Arc<dyn Device>) -> bool {
    device.adapter().features.execution == Execution::HostOps
}
