//! Causal attention of a few new tokens over a key/value cache in one dispatch,
//! with an online softmax (`wgsl/decode_attention.wgsl` documents the layouts
//! and the host's checks).

use crate::assemble::fixed_kernel;
use crate::grid::grid_for_workgroups;
use crate::{dtype_header, BindingKind, DType, KernelSource};

/// Threads per workgroup of [`DecodeAttentionSpec`].
pub const DECODE_ATTENTION_WG: u32 = 64;

/// Largest head dimension [`DecodeAttentionSpec`] takes (4 per thread).
pub const DECODE_ATTENTION_MAX_HEAD_DIM: usize = 4 * DECODE_ATTENTION_WG as usize;

/// Parameters of [`DecodeAttentionSpec`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct DecodeAttentionParams {
    /// Key/value heads.
    pub kv_heads: u32,
    /// Query rows per key/value head: group × new tokens.
    pub rows: u32,
    /// New tokens.
    pub s: u32,
    /// Cached tokens before them.
    pub past: u32,
    /// Values per head.
    pub head_dim: u32,
    /// Positions of the caches.
    pub capacity: u32,
    /// Offset of q in elements.
    pub q_off: u32,
    /// Workgroups with work: kv_heads × rows.
    pub groups: u32,
}

/// The fused attention kernel. Bindings: q, keys, values (read), out (write),
/// then [`DecodeAttentionParams`]. Grid: [`decode_attention_workgroups`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DecodeAttentionSpec {
    /// Element type of q, the caches and out.
    pub dtype: DType,
}

impl DecodeAttentionSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let header = format!(
            "{}const WG: u32 = {DECODE_ATTENTION_WG}u;\n",
            dtype_header(self.dtype)
        );
        fixed_kernel(
            format!("decode_attention/{}/wg{DECODE_ATTENTION_WG}", self.dtype),
            &header,
            include_str!("wgsl/decode_attention.wgsl"),
            vec![
                BindingKind::ReadOnly,
                BindingKind::ReadOnly,
                BindingKind::ReadOnly,
                BindingKind::ReadWrite,
            ],
            std::mem::size_of::<DecodeAttentionParams>(),
            [DECODE_ATTENTION_WG, 1, 1],
            self.dtype == DType::F16,
        )
    }
}

/// The grid for `groups` workgroups (one per key/value head and query row),
/// `None` beyond the dispatch limits.
pub fn decode_attention_workgroups(groups: u64) -> Option<[u32; 3]> {
    grid_for_workgroups(groups)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naga_check::check_kernel;

    #[test]
    fn every_decode_attention_variant_validates() {
        for dtype in [DType::F32, DType::F16] {
            let src = DecodeAttentionSpec { dtype }.render();
            assert_eq!(src.workgroup, [DECODE_ATTENTION_WG, 1, 1]);
            check_kernel(&src);
        }
        assert_eq!(std::mem::size_of::<DecodeAttentionParams>() % 16, 0);
    }
}
