//! The quantized kernels of the family: `x · Wᵀ` with W in a GGUF block
//! format, dequantized inside the kernel (split-k matvec for a few rows,
//! tiles for many). Which one runs is [`super::plan`]'s choice.

use super::operands::QuantOperands;
use crate::error::Result;
use crate::ops::launch::{launch, to_u32};
use crate::quant::QuantMatrix;
use crate::tensor::Tensor;
use tessera_kernels::KernelSpec;
use tessera_kernels::{
    QuantMatmulParams, QuantMatvecSpec, QuantTile, QuantTiledSpec, QUANT_MATVEC_SUBGROUP_LANES,
};

const OP: &str = "matmul_quant_t";

/// Record the matvec kernel (`tile` `None`) or the tiled kernel with `tile`
/// computing `x · wᵀ` into
/// `out` (contiguous at offset 0, of `ops.out_shape`, not empty), adding
/// `fused` (a contiguous residual at offset 0) in the matvec kernel's store.
/// A non-contiguous (or misaligned) `x` is copied first.
pub(super) fn run(
    x: &Tensor,
    w: &QuantMatrix,
    ops: &QuantOperands,
    tile: Option<QuantTile>,
    fused: Option<&Tensor>,
    out: &Tensor,
) -> Result<()> {
    let (m, n, k) = (ops.m, ops.n, ops.k);
    // The kernels read x as vec4 rows: contiguous from a multiple of 4.
    let x = if x.is_contiguous() && x.offset().is_multiple_of(4) {
        x.clone()
    } else {
        x.copy()?
    };
    let features = &x.device().adapter().features;
    let (source, grid) = match tile {
        None => {
            let mut spec = QuantMatvecSpec {
                residual: fused.is_some(),
                ..QuantMatvecSpec::for_shape(w.format(), x.dtype(), m, n, k)
            };
            // On a software adapter with subgroups of 8+ lanes, the form
            // that shares x through broadcasts (a quarter of the loads).
            if features.host_memory && features.has_subgroups_of(QUANT_MATVEC_SUBGROUP_LANES) {
                spec = spec.software();
            }
            (spec.rendered(), spec.grid(m, n))
        }
        Some(tile) => {
            let spec = QuantTiledSpec {
                format: w.format(),
                dtype: x.dtype(),
                tile,
            };
            (spec.rendered(), spec.grid(m, n))
        }
    };
    let params = QuantMatmulParams {
        m: to_u32(OP, m)?,
        n: to_u32(OP, n)?,
        k: to_u32(OP, k)?,
        blocks: to_u32(OP, w.blocks_per_row())?,
        x_off: to_u32(OP, x.offset())?,
        out_off: 0,
        col_groups: grid.map_or(0, |g| g.col_groups),
        groups: grid.map_or(0, |g| g.groups),
    };
    let mut buffers = vec![
        x.buffer(),
        w.quants().buffer(),
        w.scales().buffer(),
        out.buffer(),
    ];
    buffers.extend(fused.map(Tensor::buffer));
    launch(
        OP,
        x.device(),
        &source,
        &buffers,
        &params,
        grid.map(|g| g.workgroups),
    )
}
