//! Rotary position embedding (RoPE) in the half-split layout used by Hugging
//! Face's Llama and Qwen2 code, with cos/sin from host tables.

use crate::assemble::{linear_kernel, DEFAULT_WG};
use crate::{dtype_header, BindingKind, DType, KernelSource};

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
        linear_kernel(
            format!("rope/{}/wg{DEFAULT_WG}", self.dtype),
            &dtype_header(self.dtype),
            ROPE,
            vec![
                BindingKind::ReadOnly,
                BindingKind::ReadOnly,
                BindingKind::ReadOnly,
                BindingKind::ReadWrite,
            ],
            std::mem::size_of::<RopeParams>(),
            DEFAULT_WG,
            self.dtype == DType::F16,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naga_check::check_kernel;

    #[test]
    fn every_rope_variant_validates() {
        for dtype in [DType::F32, DType::F16] {
            check_kernel(&RopeSpec { dtype }.render());
        }
    }
}
