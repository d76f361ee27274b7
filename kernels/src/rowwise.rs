//! What the row-wise kernels share (one workgroup per output row: the
//! reductions, softmax, the norms): workgroup sizes, the grid, the dtype and
//! workgroup header, and the tree reductions. Each op's specs live in its own
//! file (`reduce.rs`, `softmax.rs`, `norm.rs`).

use crate::grid::grid_for_workgroups;
use crate::{dtype_header, DType};

/// The workgroup tree reductions of the row kernels (`workgroup_max`, `workgroup_sum`).
pub(crate) const ROW_COMMON: &str = include_str!("wgsl/row_common.wgsl");

/// The entry point of the row kernels that reduce through [`ROW_COMMON`]: one
/// workgroup per row, calling the body's `row_main(row, lid)`.
pub(crate) const ROW_ENTRY: &str = include_str!("wgsl/row_entry.wgsl");

/// Threads per row (a power of two: the tree reductions halve it).
pub const ROW_WG: u32 = 256;

/// Every workgroup size of the row kernels: the powers of two that
/// [`row_wg_for`] and [`crate::row_vec4_wg_for`] pick, 32 to [`ROW_WG`].
pub(crate) const ROW_WGS: [u32; 4] = [32, 64, 128, ROW_WG];

/// Every (storage type, workgroup size) the row kernels render: f32 and f16,
/// each of [`ROW_WGS`].
pub(crate) fn row_choices() -> impl Iterator<Item = (DType, u32)> {
    DType::FLOATS
        .into_iter()
        .flat_map(|dtype| ROW_WGS.map(|wg| (dtype, wg)))
}

/// Threads per row for rows of `len`: the next power of two, from 32 to
/// [`ROW_WG`]. Short rows (attention over short sequences) waste most of a
/// 256-thread workgroup, which costs dearly on software adapters.
pub fn row_wg_for(len: usize) -> u32 {
    (len.max(1).next_power_of_two() as u32).clamp(32, ROW_WG)
}

/// NaN test by bits: drivers may fold `v != v` away, a bit test they keep.
const IS_NAN: &str =
    "fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }\n";

/// An f32 from its bit pattern, for the non-finite values (-inf, +inf, NaN). A
/// function, so neither naga nor Tint folds it into a constant expression: Tint
/// rejects a non-finite constant ("value -inf cannot be represented as 'f32'").
const F32_BITS: &str = "fn f32_bits(b: u32) -> f32 { return bitcast<f32>(b); }\n";

pub(crate) fn wg_header(dtype: DType, wg: u32) -> String {
    format!(
        "{}const WG: u32 = {wg}u;\n{IS_NAN}{F32_BITS}",
        dtype_header(dtype)
    )
}

/// Grid for `rows` workgroups.
pub fn rowwise_workgroups(rows: u64) -> Option<[u32; 3]> {
    grid_for_workgroups(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::norm::norm_forms;

    #[test]
    fn row_workgroup_sizes() {
        assert_eq!(
            (
                row_wg_for(1),
                row_wg_for(30),
                row_wg_for(33),
                row_wg_for(384),
                row_wg_for(1 << 20)
            ),
            (32, 32, 64, 256, 256)
        );
        for len in [1, 31, 32, 33, 100, 255, 256, 257, 4096, 1 << 20] {
            assert!(ROW_WGS.contains(&row_wg_for(len)), "{len}");
        }
        assert_eq!(norm_forms().len(), 6);
    }
}
