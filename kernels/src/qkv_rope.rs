//! The attention inputs of a decoder layer in one dispatch: split a fused q/k/v
//! projection, add its bias, apply rotary embeddings (half-split layout) to q
//! and k, scale q, and write q in grouped-query order and k/v into the caches
//! (`wgsl/qkv_rope.wgsl` documents the layouts).

use crate::assemble::{linear_kernel, Binding, DEFAULT_WG};
use crate::params::uniform_params;
use crate::{dtype_header, DType, KernelSource};

const QKV_ROPE: &str = include_str!("wgsl/qkv_rope.wgsl");
/// The rotated pair both rope kernels write (`rope_pair`, `biased`).
pub(crate) const QKV_ROPE_CORE: &str = include_str!("wgsl/qkv_rope_core.wgsl");

/// Parameters of [`QkvRopeSpec`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct QkvRopeParams {
    /// Threads: rows × (heads + 2 kv_heads) × half.
    pub n: u32,
    /// Query heads.
    pub heads: u32,
    /// Key/value heads.
    pub kv_heads: u32,
    /// Half the head dimension.
    pub half: u32,
    /// Tokens (rows of x).
    pub rows: u32,
    /// Position of row 0.
    pub pos0: u32,
    /// Rows of the cos/sin tables.
    pub positions: u32,
    /// Positions of the key and value caches.
    pub capacity: u32,
    /// Offset of x in elements.
    pub x_off: u32,
    /// 1 when the bias binding holds a bias to add, 0 when it is a placeholder.
    pub has_bias: u32,
    /// Factor applied to the rotated queries (1/sqrt(head_dim)).
    pub q_scale: f32,
    /// Padding.
    pub pad: u32,
}

uniform_params!(QkvRopeParams = include_str!("wgsl/qkv_rope_params.wgsl");
    n, heads, kv_heads, half, rows, pos0, positions, capacity, x_off, has_bias, q_scale, pad);

/// The fused split + bias + rope + cache write. Bindings: x (read), bias
/// (read; any buffer when there is none), cos table (read, f32), sin table
/// (read, f32), q_out, keys, values (read-write), then [`QkvRopeParams`].
/// Grid: [`crate::elementwise_workgroups`] of `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QkvRopeSpec {
    /// Element type of x, bias, q_out and the caches.
    pub dtype: DType,
}

impl QkvRopeSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        const BINDINGS: [Binding; 7] = [
            Binding::read("x", "T"),
            Binding::read("bias", "T"),
            Binding::read("cos_table", "f32"),
            Binding::read("sin_table", "f32"),
            Binding::read_write("q_out", "T"),
            Binding::read_write("keys", "T"),
            Binding::read_write("values", "T"),
        ];
        linear_kernel::<QkvRopeParams>(
            format!("qkv_rope/{}/wg{DEFAULT_WG}", self.dtype),
            &dtype_header(self.dtype),
            &BINDINGS,
            &format!("{QKV_ROPE_CORE}{QKV_ROPE}"),
            self.dtype == DType::F16,
        )
    }

    /// Every variant: f32 and f16.
    pub fn all() -> Vec<QkvRopeSpec> {
        DType::FLOATS.map(|dtype| QkvRopeSpec { dtype }).to_vec()
    }
}
