//! Rotary position embedding (RoPE) in the half-split layout used by Hugging
//! Face's Llama and Qwen2 code, with cos/sin from host tables.

use crate::assemble::{linear_kernel, Binding, DEFAULT_WG};
use crate::params::uniform_params;
use crate::{dtype_header, DType, KernelSource};

const ROPE: &str = include_str!("wgsl/rope.wgsl");

/// Parameters of the rotary kernel.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct RopeParams {
    /// Rotated pairs: rows × heads × half.
    pub n: u32,
    /// Heads per row.
    pub heads: u32,
    /// Half the head dimension.
    pub half: u32,
    /// Position of the first row.
    pub pos0: u32,
    /// Rows of the cos/sin tables.
    pub positions: u32,
    /// Input offset (elements).
    pub x_off: u32,
    /// Output offset (elements).
    pub out_off: u32,
    /// Factor applied to the result (e.g. 1/sqrt(head_dim) folded into queries).
    pub scale: f32,
}

uniform_params!(RopeParams = include_str!("wgsl/rope_params.wgsl");
    n, heads, half, pos0, positions, x_off, out_off, scale);

/// RoPE over a contiguous `[rows, heads, 2 * half]` tensor. Bindings: x (read),
/// cos table (read, f32), sin table (read, f32), out (write).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RopeSpec {
    /// Element type of x and out.
    pub dtype: DType,
}

impl RopeSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        const BINDINGS: [Binding; 4] = [
            Binding::read("x", "T"),
            Binding::read("cos_table", "f32"),
            Binding::read("sin_table", "f32"),
            Binding::read_write("out", "T"),
        ];
        linear_kernel::<RopeParams>(
            format!("rope/{}/wg{DEFAULT_WG}", self.dtype),
            &dtype_header(self.dtype),
            &BINDINGS,
            ROPE,
            self.dtype == DType::F16,
        )
    }

    /// Every variant: f32 and f16.
    pub fn all() -> Vec<RopeSpec> {
        DType::FLOATS.map(|dtype| RopeSpec { dtype }).to_vec()
    }
}
