//! Causal attention of a few new tokens over a key/value cache with an online
//! softmax: one dispatch, or for long contexts the keys split over several
//! workgroups per query row and a second dispatch merging them (flash-decoding).
//! `wgsl/decode_attention.wgsl` and `wgsl/decode_attention_combine.wgsl`
//! document the layouts and the host's checks.

use crate::assemble::{fixed_kernel, Binding};
use crate::grid::grid_for_workgroups;
use crate::params::uniform_params;
use crate::rowwise::ROW_COMMON;
use crate::{dtype_header, DType, KernelSource};

/// The online-softmax attention of one query over a range of cached keys
/// (`fn attend`), shared with [`crate::SlottedAttentionSpec`].
pub(crate) const ATTENTION_CORE: &str = include_str!("wgsl/attention_core.wgsl");

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
    /// Workgroups with work: kv_heads × rows × splits (the combine stage:
    /// kv_heads × rows).
    pub groups: u32,
    /// Key ranges per query row (1: the whole stage).
    pub splits: u32,
    /// Keys per range (the whole stage: at least the visible keys).
    pub chunk: u32,
    /// Padding to 16 bytes.
    pub pad: [u32; 2],
}

uniform_params!(DecodeAttentionParams = include_str!("wgsl/decode_attention_params.wgsl");
    kv_heads, rows, s, past, head_dim, capacity, q_off, groups, splits, chunk, pad);

/// Which kernel of the attention a [`DecodeAttentionSpec`] renders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DecodeAttentionStage {
    /// One workgroup per query row over all its keys, writing the result.
    /// Bindings: q, keys, values (read), out (write), params.
    Whole,
    /// One workgroup per (query row, key range), writing f32 partials of
    /// `head_dim + 2` values. Bindings as `Whole`, out being the partials.
    Partial,
    /// One workgroup per query row merging its ranges' partials. Bindings:
    /// partials (read), out (write), params.
    Combine,
}

impl DecodeAttentionStage {
    /// Every stage.
    pub const ALL: [DecodeAttentionStage; 3] = [
        DecodeAttentionStage::Whole,
        DecodeAttentionStage::Partial,
        DecodeAttentionStage::Combine,
    ];
}

/// The fused attention kernels; bindings per [`DecodeAttentionStage`], then
/// [`DecodeAttentionParams`]. Grid: [`decode_attention_workgroups`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DecodeAttentionSpec {
    /// Element type of q, the caches and out (partials are always f32).
    pub dtype: DType,
    /// Which kernel.
    pub stage: DecodeAttentionStage,
}

impl DecodeAttentionSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let (name, out_type, partial) = match self.stage {
            DecodeAttentionStage::Whole => ("decode_attention", "T", false),
            DecodeAttentionStage::Partial => ("decode_attention_partial", "f32", true),
            DecodeAttentionStage::Combine => ("decode_attention_combine", "T", false),
        };
        let header = format!(
            "{}alias O = {out_type};\nconst PARTIAL: bool = {partial};\nconst WG: u32 = {DECODE_ATTENTION_WG}u;\n",
            dtype_header(self.dtype),
        );
        const ATTEND: [Binding; 4] = [
            Binding::read("q", "T"),
            Binding::read("keys", "T"),
            Binding::read("values", "T"),
            Binding::read_write("out", "O"),
        ];
        const COMBINE: [Binding; 2] = [
            Binding::read("part", "f32"),
            Binding::read_write("out", "T"),
        ];
        let (body, bindings) = match self.stage {
            DecodeAttentionStage::Combine => (
                include_str!("wgsl/decode_attention_combine.wgsl").to_string(),
                &COMBINE[..],
            ),
            _ => (
                format!(
                    "{ROW_COMMON}{ATTENTION_CORE}{}",
                    include_str!("wgsl/decode_attention.wgsl")
                ),
                &ATTEND[..],
            ),
        };
        fixed_kernel::<DecodeAttentionParams>(
            format!("{name}/{}/wg{DECODE_ATTENTION_WG}", self.dtype),
            &header,
            bindings,
            &body,
            [DECODE_ATTENTION_WG, 1, 1],
            self.dtype == DType::F16,
        )
    }

    /// Every variant: each stage in f32 and f16.
    pub fn all() -> Vec<DecodeAttentionSpec> {
        DType::FLOATS
            .into_iter()
            .flat_map(|dtype| {
                DecodeAttentionStage::ALL.map(|stage| DecodeAttentionSpec { dtype, stage })
            })
            .collect()
    }
}

/// The grid for `groups` workgroups (one per key/value head and query row),
/// `None` beyond the dispatch limits.
pub fn decode_attention_workgroups(groups: u64) -> Option<[u32; 3]> {
    grid_for_workgroups(groups)
}
