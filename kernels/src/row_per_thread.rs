//! What the per-thread row kernels share: softmax, layer norm and RMS norm with
//! one invocation per row, [`ROW_PER_THREAD_WG`] rows per workgroup. They run
//! the general kernels' bodies (`softmax.wgsl`, `norm.wgsl`) with one thread
//! per row (`WG = 1`), so a row's reduction is that thread's own value: no
//! workgroup memory and no barrier, which software adapters run slowly across
//! many invocations. The specs are `SoftmaxPerThreadSpec` (`softmax.rs`) and
//! `NormPerThreadSpec` (`norm.rs`); they take the general kernels' parameters.

use crate::assemble::{fixed_kernel, Binding};
use crate::grid::grid_for_items;
use crate::rowwise::wg_header;
use crate::{DType, KernelSource, UniformParams};

/// The reductions (a thread's own value) and the entry point.
const ROW_PER_THREAD: &str = include_str!("wgsl/row_per_thread.wgsl");

/// Rows (invocations) per workgroup of a per-thread row kernel.
pub const ROW_PER_THREAD_WG: u32 = 64;

/// The header of a per-thread row kernel: the dtype, one thread per row
/// (`WG = 1`) and `ROWS_PER_WG`.
pub(crate) fn per_thread_header(dtype: DType) -> String {
    format!(
        "{}const ROWS_PER_WG: u32 = {ROW_PER_THREAD_WG}u;\n",
        wg_header(dtype, 1)
    )
}

/// A per-thread row kernel: `header` (from [`per_thread_header`] and the op's
/// own), the reductions and entry point, then the general kernel's `body`.
pub(crate) fn row_per_thread_kernel<P: UniformParams>(
    key: String,
    header: &str,
    bindings: &[Binding],
    body: &str,
    dtype: DType,
) -> KernelSource {
    fixed_kernel::<P>(
        key,
        &format!("{header}{ROW_PER_THREAD}"),
        bindings,
        body,
        [ROW_PER_THREAD_WG, 1, 1],
        dtype == DType::F16,
    )
}

/// Grid of a per-thread row kernel over `rows` rows.
pub fn row_per_thread_workgroups(rows: u64) -> Option<[u32; 3]> {
    grid_for_items(rows, ROW_PER_THREAD_WG)
}
