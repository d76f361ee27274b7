//! The op conformance suite, generated from the op declarations
//! ([`crate::ops::DECLARATIONS`]): for every op, every dtype it takes and the
//! device offers, and every adapter, fresh random inputs of odd shapes run
//! through the op and are compared with its reference under the op's named
//! tolerance. The integration test `tests/conformance.rs` asserts it passes;
//! `tessera conformance` writes the table as `docs/CONFORMANCE.md`.
//!
//! Rules of this module:
//! - Cases draw their inputs from [`Cases`] (seeded; the seed is in every
//!   failure), never from zeros or ones alone, and outputs are poisoned
//!   (NaN-filled) before each run while the suite runs.
//! - An op error in a case is a failure of that row, never a panic.

mod cases;
mod conv;
mod decode_attention;
mod elementwise;
mod fused_map;
mod gather;
mod layout;
mod matmul;
mod norm;
mod quant;
mod reduce;
mod rope;
mod slotted;
mod softmax;
mod table;
mod tolerance;

pub(crate) use conv::{conv, conv_transpose, pool};
pub(crate) use decode_attention::cached_attention;
pub(crate) use elementwise::{affine, binary, unary, where_select};
pub(crate) use fused_map::fused_map_cases as fused_map;
pub(crate) use gather::gather;
pub(crate) use layout::{cast, concat, copy};
pub(crate) use matmul::matmul;
pub(crate) use norm::{layer_norm, rms_norm};
pub(crate) use quant::{matmul_quant_t, quant_gather};
pub(crate) use reduce::{argmax, reduce};
pub(crate) use rope::{qkv_rope, rope};
pub(crate) use slotted::{slotted_attention, slotted_qkv_rope};
pub(crate) use softmax::softmax;

pub use cases::{mix_seed, CaseReport, Cases};
pub use table::markdown_table;
pub use tolerance::{compare, Comparison, Tolerance};

use crate::ops::OpDeclaration;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::DType;

/// One row of the conformance table: an op on an adapter in one dtype.
#[derive(Clone, Debug)]
pub struct ConformanceRow {
    /// The op's name.
    pub op: &'static str,
    /// The dtype of its float operands.
    pub dtype: DType,
    /// The adapter's one-line summary.
    pub adapter: String,
    /// What the cases found.
    pub report: CaseReport,
    /// The op failed with an error (not a wrong value), if it did.
    pub error: Option<String>,
}

impl ConformanceRow {
    /// Whether every check passed and nothing failed with an error.
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.report.failures.is_empty() && self.report.checks > 0
    }
}

/// The dtypes of `op` that `device` runs (f16 needs `shader-f16`).
pub fn dtypes_for(op: &OpDeclaration, device: &Arc<dyn Device>) -> Vec<DType> {
    op.dtypes
        .iter()
        .copied()
        .filter(|&d| d != DType::F16 || device.adapter().features.shader_f16)
        .collect()
}

/// Run the cases of `op` on `device` in `dtype`, drawing from `seed`, with
/// output poisoning on for the duration. Blocking (native only):
/// [`run_op_async`] driven to the end.
#[cfg(not(target_arch = "wasm32"))]
pub fn run_op(
    op: &OpDeclaration,
    device: &Arc<dyn Device>,
    dtype: DType,
    seed: u64,
) -> ConformanceRow {
    pollster::block_on(run_op_async(op, device, dtype, seed))
}

/// [`run_op`] without blocking: the cases are recorded, then their results
/// read back asynchronously (the web's way; native waits on this).
pub async fn run_op_async(
    op: &OpDeclaration,
    device: &Arc<dyn Device>,
    dtype: DType,
    seed: u64,
) -> ConformanceRow {
    let was_poisoning = crate::tensor::poison_outputs_enabled();
    crate::set_poison_outputs(true);
    let mut cases = Cases::new(device, dtype, op.name, seed);
    let recorded = (op.conformance)(&mut cases);
    crate::set_poison_outputs(was_poisoning);
    let settled = cases.settle().await;
    let error = recorded
        .and(settled)
        .err()
        .map(|e| format!("{e} (seed {seed})"));
    ConformanceRow {
        op: op.name,
        dtype,
        adapter: device.adapter().summary(),
        report: cases.into_report(),
        error,
    }
}

/// Every op in every dtype `device` runs. Blocking (native only).
#[cfg(not(target_arch = "wasm32"))]
pub fn run_all(device: &Arc<dyn Device>, seed: u64) -> Vec<ConformanceRow> {
    crate::ops::DECLARATIONS
        .iter()
        .flat_map(|op| {
            dtypes_for(op, device)
                .into_iter()
                .map(move |dtype| run_op(op, device, dtype, seed))
        })
        .collect()
}
