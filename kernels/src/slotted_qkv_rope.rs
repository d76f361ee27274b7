//! The attention inputs of a batch of sequences, one new token each, in one
//! dispatch: split the fused q/k/v projection, add its bias, rotate q and k
//! at each row's own position, scale q, and write q as `[rows, heads,
//! head_dim]` and k/v into each row's slot of a key/value pool
//! (`wgsl/slotted_qkv_rope.wgsl` documents the layouts).

use crate::assemble::{linear_kernel, Binding, DEFAULT_WG};
use crate::params::uniform_params;
use crate::qkv_rope::QKV_ROPE_CORE;
use crate::{dtype_header, DType, KernelSource};

const SLOTTED_QKV_ROPE: &str = include_str!("wgsl/slotted_qkv_rope.wgsl");

/// Parameters of [`SlottedQkvRopeSpec`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct SlottedQkvRopeParams {
    /// Threads: rows × (heads + 2 kv_heads) × half.
    pub n: u32,
    /// Query heads.
    pub heads: u32,
    /// Key/value heads.
    pub kv_heads: u32,
    /// Half the head dimension.
    pub half: u32,
    /// Rows of the cos/sin tables.
    pub positions: u32,
    /// Positions per slot.
    pub capacity: u32,
    /// Elements per slot of the pool.
    pub slot_stride: u32,
    /// Offset of x in elements.
    pub x_off: u32,
    /// 1 when the bias binding holds a bias to add, 0 when it is a placeholder.
    pub has_bias: u32,
    /// Factor applied to the rotated queries (1/sqrt(head_dim)).
    pub q_scale: f32,
    /// Padding to 16 bytes.
    pub pad: [u32; 2],
}

uniform_params!(SlottedQkvRopeParams = include_str!("wgsl/slotted_qkv_rope_params.wgsl");
    n, heads, kv_heads, half, positions, capacity, slot_stride, x_off, has_bias, q_scale, pad);

/// The batched split + bias + rope + slot writes. Bindings: x (read), bias
/// (read; any buffer when there is none), cos table (read, f32), sin table
/// (read, f32), the row table (read, u32 pairs of slot and position), q_out,
/// keys, values (read-write), then [`SlottedQkvRopeParams`].
/// Grid: [`crate::elementwise_workgroups`] of `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SlottedQkvRopeSpec {
    /// Element type of x, bias, q_out and the pool.
    pub dtype: DType,
}

impl SlottedQkvRopeSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        const BINDINGS: [Binding; 8] = [
            Binding::read("x", "T"),
            Binding::read("bias", "T"),
            Binding::read("cos_table", "f32"),
            Binding::read("sin_table", "f32"),
            Binding::read("table", "u32"),
            Binding::read_write("q_out", "T"),
            Binding::read_write("keys", "T"),
            Binding::read_write("values", "T"),
        ];
        linear_kernel::<SlottedQkvRopeParams>(
            format!("slotted_qkv_rope/{}/wg{DEFAULT_WG}", self.dtype),
            &dtype_header(self.dtype),
            &BINDINGS,
            &format!("{QKV_ROPE_CORE}{SLOTTED_QKV_ROPE}"),
            self.dtype == DType::F16,
        )
    }

    /// Every variant: f32 and f16.
    pub fn all() -> Vec<SlottedQkvRopeSpec> {
        DType::FLOATS
            .map(|dtype| SlottedQkvRopeSpec { dtype })
            .to_vec()
    }
}
