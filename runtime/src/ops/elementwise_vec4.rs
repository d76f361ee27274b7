//! The vec4 path of the binary ops: contiguous operands, a linear index, and
//! optionally one operand repeated along the leading dims of the output.

use super::launch::{launch, to_u32};
use crate::error::Result;
use crate::tensor::Tensor;
use tessera_kernels::KernelSpec;
use tessera_kernels::{
    elementwise_vec4_workgroups, BinaryOp, BinaryVec4Params, BinaryVec4Spec, Vec4Layout,
};

/// Record `out = op(a, b)` with the vec4 kernel. The caller (`plan_binary`) has
/// checked that a and b are contiguous, that the operand that is not repeated
/// has `out`'s shape, that the repeated one holds `period` elements, and that
/// the element count, `period` and both offsets are multiples of 4.
pub(crate) fn launch_binary_vec4(
    name: &'static str,
    op: BinaryOp,
    layout: Vec4Layout,
    period: usize,
    a: &Tensor,
    b: &Tensor,
    out: &Tensor,
) -> Result<()> {
    let n = to_u32(name, out.numel())?;
    let period = to_u32(name, period)?;
    let params = BinaryVec4Params {
        n,
        a_off: to_u32(name, a.offset())?,
        b_off: to_u32(name, b.offset())?,
        out_off: to_u32(name, out.offset())?,
        a_period: if layout == Vec4Layout::RepeatA {
            period
        } else {
            n
        },
        b_period: if layout == Vec4Layout::RepeatB {
            period
        } else {
            n
        },
        pad: [0; 2],
    };
    let source = BinaryVec4Spec {
        op,
        dtype: a.dtype(),
        layout,
    }
    .rendered();
    launch(
        name,
        a.device(),
        &source,
        &[a.buffer(), b.buffer(), out.buffer()],
        &params,
        elementwise_vec4_workgroups(out.numel() as u64),
    )
}
