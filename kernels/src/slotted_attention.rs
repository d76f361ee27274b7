//! Decode attention of a batch of sequences over a slotted key/value pool:
//! one workgroup per (sequence, query head), each sequence reading its own
//! slot up to its own position from a per-row table
//! (`wgsl/slotted_attention.wgsl` documents the layouts and the host's checks).

use crate::assemble::{fixed_kernel, Binding};
use crate::decode_attention::{ATTENTION_CORE, DECODE_ATTENTION_WG};
use crate::params::uniform_params;
use crate::rowwise::ROW_COMMON;
use crate::{dtype_header, DType, KernelSource};

/// Parameters of [`SlottedAttentionSpec`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct SlottedAttentionParams {
    /// Sequences in the batch (rows of q and of the table).
    pub rows: u32,
    /// Query heads.
    pub heads: u32,
    /// Key/value heads (dividing `heads`).
    pub kv_heads: u32,
    /// Values per head.
    pub head_dim: u32,
    /// Positions per slot.
    pub capacity: u32,
    /// Elements per slot of the pool.
    pub slot_stride: u32,
    /// Offset of q in elements.
    pub q_off: u32,
    /// Workgroups with work: rows × heads.
    pub groups: u32,
}

uniform_params!(SlottedAttentionParams = include_str!("wgsl/slotted_attention_params.wgsl");
    rows, heads, kv_heads, head_dim, capacity, slot_stride, q_off, groups);

/// The batched decode attention. Bindings: q, keys, values (read), the row
/// table (read, u32 pairs of slot and position), out (write), then
/// [`SlottedAttentionParams`]. Grid: [`crate::decode_attention_workgroups`]
/// of rows × heads; head_dim at most [`crate::DECODE_ATTENTION_MAX_HEAD_DIM`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SlottedAttentionSpec {
    /// Element type of q, the pool and out.
    pub dtype: DType,
}

impl SlottedAttentionSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        const BINDINGS: [Binding; 5] = [
            Binding::read("q", "T"),
            Binding::read("keys", "T"),
            Binding::read("values", "T"),
            Binding::read("table", "u32"),
            Binding::read_write("out", "T"),
        ];
        let header = format!(
            "{}const WG: u32 = {DECODE_ATTENTION_WG}u;\n",
            dtype_header(self.dtype)
        );
        let body = format!(
            "{ROW_COMMON}{ATTENTION_CORE}{}",
            include_str!("wgsl/slotted_attention.wgsl")
        );
        fixed_kernel::<SlottedAttentionParams>(
            format!("slotted_attention/{}/wg{DECODE_ATTENTION_WG}", self.dtype),
            &header,
            &BINDINGS,
            &body,
            [DECODE_ATTENTION_WG, 1, 1],
            self.dtype == DType::F16,
        )
    }

    /// Every variant: f32 and f16.
    pub fn all() -> Vec<SlottedAttentionSpec> {
        DType::FLOATS
            .map(|dtype| SlottedAttentionSpec { dtype })
            .to_vec()
    }
}
