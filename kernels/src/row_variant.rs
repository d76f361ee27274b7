//! The kernel variants of the row ops (softmax, layer norm, RMS norm) and the
//! geometry of the vec4 ones. The runtime picks a variant from the row length,
//! the operands' offsets and the adapter's features, or a caller forces one.

use crate::rowwise::ROW_WG;

/// Which kernel a row op (softmax, layer norm, RMS norm) runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RowVariant {
    /// Scalar loads, shared-memory tree reductions: any row length and offset.
    General,
    /// The general kernel's body with one invocation per row and no barrier
    /// ([`crate::ROW_PER_THREAD_WG`] rows per workgroup): any row length and
    /// offset, a candidate for rows of up to [`ROW_PER_THREAD_MAX`] values.
    PerThread,
    /// vec4 loads and stores, rows of up to [`ROW_VEC4_RESIDENT_MAX`] values kept
    /// in registers (one pass over memory), tree reductions. Needs a row length
    /// and operand offsets that are multiples of 4.
    Vec4,
    /// [`RowVariant::Vec4`] with subgroup reductions (`subgroupAdd`/`subgroupMax`,
    /// then one small workgroup array). Also needs an adapter with subgroups.
    Vec4Subgroup,
}

impl RowVariant {
    /// Every row variant, for tests, benchmarks and tuners.
    pub const ALL: [RowVariant; 4] = [
        RowVariant::General,
        RowVariant::PerThread,
        RowVariant::Vec4,
        RowVariant::Vec4Subgroup,
    ];

    /// Short lower-case name, used in kernel keys and reports.
    pub fn name(self) -> &'static str {
        match self {
            RowVariant::General => "general",
            RowVariant::PerThread => "per_thread",
            RowVariant::Vec4 => "vec4",
            RowVariant::Vec4Subgroup => "vec4_subgroup",
        }
    }

    /// Whether the variant loads and stores vec4s (row length and offsets % 4 == 0).
    pub fn is_vec4(self) -> bool {
        matches!(self, RowVariant::Vec4 | RowVariant::Vec4Subgroup)
    }

    /// Whether the variant needs subgroup operations on the adapter.
    pub fn needs_subgroups(self) -> bool {
        self == RowVariant::Vec4Subgroup
    }
}

/// Longest row (in values) for which the per-thread row kernels are a
/// candidate (the automatic choice on software adapters, a tuning candidate
/// elsewhere). On SwiftShader they beat the workgroup-per-row
/// kernels 10-40x on rows of 30 to 384 (BENCHMARKS.md, "Browser"); past this,
/// one invocation's serial loop over a long row, with few rows to spread over
/// the cores, is not worth the risk.
pub const ROW_PER_THREAD_MAX: usize = 1024;

/// vec4s each thread of a vec4 row kernel keeps in registers.
pub const ROW_VEC4_PER_THREAD: u32 = 4;

/// Longest row (in values) the vec4 row kernels keep in registers:
/// [`ROW_WG`] threads x [`ROW_VEC4_PER_THREAD`] vec4s x 4 = 4096. Longer rows
/// take a second pass over memory.
pub const ROW_VEC4_RESIDENT_MAX: usize = (ROW_WG * ROW_VEC4_PER_THREAD * 4) as usize;

/// Threads per row of a vec4 row kernel for rows of `len` values: enough for
/// [`ROW_VEC4_PER_THREAD`] vec4s each, a power of two from 32 to [`ROW_WG`].
pub fn row_vec4_wg_for(len: usize) -> u32 {
    let vec4s = len.div_ceil(4);
    let threads = vec4s.div_ceil(ROW_VEC4_PER_THREAD as usize).max(1);
    (threads.min(ROW_WG as usize).next_power_of_two() as u32).clamp(32, ROW_WG)
}

/// Whether a vec4 row kernel can take rows of `len` values whose operands start
/// at element `offsets`: the length and every offset are multiples of 4.
pub fn row_vec4_fits(len: usize, offsets: &[usize]) -> bool {
    len > 0 && len.is_multiple_of(4) && offsets.iter().all(|o| o.is_multiple_of(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vec4_geometry() {
        assert_eq!(ROW_VEC4_RESIDENT_MAX, 4096);
        assert_eq!(
            [4, 128, 512, 1028, 4096, 4100, 1 << 20].map(row_vec4_wg_for),
            [32, 32, 32, 128, 256, 256, 256]
        );
        // Every resident row fits its workgroup's registers.
        for len in (4..=ROW_VEC4_RESIDENT_MAX).step_by(4) {
            let wg = row_vec4_wg_for(len) as usize;
            assert!(
                len.div_ceil(4) <= wg * ROW_VEC4_PER_THREAD as usize,
                "{len}"
            );
        }
        assert!(row_vec4_fits(8, &[0, 4, 12]));
        assert!(!row_vec4_fits(6, &[0]));
        assert!(!row_vec4_fits(8, &[0, 2]));
        assert!(!row_vec4_fits(0, &[0]));
        assert_eq!(
            RowVariant::ALL.map(|v| v.is_vec4()),
            [false, false, true, true]
        );
    }
}
