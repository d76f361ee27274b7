//! vec4 elementwise kernels over contiguous operands: unary, affine and binary
//! ops with a linear index (no stride decomposition), and binary ops where one
//! operand is a row vector repeated over the rows of the other.
//!
//! The host must check [`vec4_fits`] for the element count, every offset and
//! (row broadcast) the repeated operand's period. The grid is
//! [`elementwise_vec4_workgroups`]: one vec4 per thread, 2-D past 65535 workgroups.

use crate::assemble::{linear_kernel, Binding, DEFAULT_WG};
use crate::elementwise::{binary_bindings, binary_snippet, unary_snippet};
use crate::grid::grid_for_items;
use crate::params::uniform_params;
use crate::{dtype_header, BinaryOp, DType, KernelSource, UnaryOp, UnaryParams};

const UNARY_VEC4: &str = include_str!("wgsl/unary_vec4.wgsl");
const BINARY_VEC4: &str = include_str!("wgsl/binary_vec4.wgsl");

/// Which kernel an elementwise op (unary, affine, binary) runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ElementwiseVariant {
    /// Scalar kernel: binary ops broadcast through strides; any shape and offset.
    General,
    /// vec4 kernel, linear index: operands of the output's shape (no broadcast),
    /// contiguous, element count and offsets multiples of 4.
    Vec4,
    /// Binary only: vec4 kernel where one operand has the output's shape and the
    /// other is a contiguous block repeated along the leading dims (`[rows, n] op
    /// [n]`, `[b, h, q, s] op [q, s]`); its length and the offsets multiples of 4.
    Vec4RowBroadcast,
}

impl ElementwiseVariant {
    /// Every elementwise variant, for tests, benchmarks and tuners.
    pub const ALL: [ElementwiseVariant; 3] = [
        ElementwiseVariant::General,
        ElementwiseVariant::Vec4,
        ElementwiseVariant::Vec4RowBroadcast,
    ];

    /// Short lower-case name, used in kernel keys and reports.
    pub fn name(self) -> &'static str {
        match self {
            ElementwiseVariant::General => "general",
            ElementwiseVariant::Vec4 => "vec4",
            ElementwiseVariant::Vec4RowBroadcast => "vec4_row_broadcast",
        }
    }
}

/// Whether `n` elements at element `offsets` can go through the vec4 kernels:
/// `n` and every offset are multiples of 4.
pub fn vec4_fits(n: usize, offsets: &[usize]) -> bool {
    n.is_multiple_of(4) && offsets.iter().all(|o| o.is_multiple_of(4))
}

/// Grid of the vec4 elementwise kernels for `n` elements (a multiple of 4).
pub fn elementwise_vec4_workgroups(n: u64) -> Option<[u32; 3]> {
    grid_for_items(n / 4, DEFAULT_WG)
}

/// `y = op(x)` on vec4s. Parameters: [`crate::UnaryParams`]. Bindings: x, y.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UnaryVec4Spec {
    /// The function.
    pub op: UnaryOp,
    /// Storage type (f32 or f16).
    pub dtype: DType,
}

impl UnaryVec4Spec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let header = format!("{}{}", dtype_header(self.dtype), unary_snippet(self.op));
        unary_vec4_like(
            format!("unary_vec4/{}/{}", self.op.name(), self.dtype),
            &header,
            self.dtype,
        )
    }

    /// Every variant: each op in f32 and f16.
    pub fn all() -> Vec<UnaryVec4Spec> {
        DType::FLOATS
            .into_iter()
            .flat_map(|dtype| UnaryOp::ALL.map(|op| UnaryVec4Spec { op, dtype }))
            .collect()
    }
}

/// `y = x * scale + bias` on vec4s. Parameters: [`crate::UnaryParams`]. Bindings: x, y.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AffineVec4Spec {
    /// Storage type (f32 or f16).
    pub dtype: DType,
}

impl AffineVec4Spec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let header = format!(
            "{}fn op(v: f32) -> f32 {{ return v * p.scale + p.bias; }}\n",
            dtype_header(self.dtype)
        );
        unary_vec4_like(format!("affine_vec4/{}", self.dtype), &header, self.dtype)
    }

    /// Every variant: f32 and f16.
    pub fn all() -> Vec<AffineVec4Spec> {
        DType::FLOATS.map(|dtype| AffineVec4Spec { dtype }).to_vec()
    }
}

fn unary_vec4_like(key: String, header: &str, dtype: DType) -> KernelSource {
    const BINDINGS: [Binding; 2] = [
        Binding::read("x", "vec4<T>"),
        Binding::read_write("y", "vec4<T>"),
    ];
    linear_kernel::<UnaryParams>(
        format!("{key}/wg{DEFAULT_WG}"),
        header,
        &BINDINGS,
        UNARY_VEC4,
        dtype == DType::F16,
    )
}

/// Parameters of the vec4 binary kernel; counts and offsets in elements.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct BinaryVec4Params {
    /// Output elements (a multiple of 4).
    pub n: u32,
    /// Offset of a.
    pub a_off: u32,
    /// Offset of b.
    pub b_off: u32,
    /// Offset of out.
    pub out_off: u32,
    /// Elements of a before it repeats ([`Vec4Layout::RepeatA`] only, else `n`).
    pub a_period: u32,
    /// Elements of b before it repeats ([`Vec4Layout::RepeatB`] only, else `n`).
    pub b_period: u32,
    /// Padding.
    pub pad: [u32; 2],
}

uniform_params!(BinaryVec4Params = include_str!("wgsl/binary_vec4_params.wgsl");
    n, a_off, b_off, out_off, a_period, b_period, pad);

/// How the operands of the vec4 binary kernel line up with the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Vec4Layout {
    /// a, b and out have the same shape.
    Same,
    /// a repeats with period `a_period` (a row vector broadcast over b's rows).
    RepeatA,
    /// b repeats with period `b_period` (a row vector broadcast over a's rows).
    RepeatB,
}

impl Vec4Layout {
    /// Every layout.
    pub const ALL: [Vec4Layout; 3] = [Vec4Layout::Same, Vec4Layout::RepeatA, Vec4Layout::RepeatB];

    fn name(self) -> &'static str {
        match self {
            Vec4Layout::Same => "same",
            Vec4Layout::RepeatA => "repeat_a",
            Vec4Layout::RepeatB => "repeat_b",
        }
    }
}

/// `out = op(a, b)` on vec4s, see [`BinaryVec4Params`] and [`Vec4Layout`].
/// Same semantics as [`crate::BinarySpec`]. Bindings: a, b (read), out (write).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BinaryVec4Spec {
    /// The function.
    pub op: BinaryOp,
    /// Storage type (f32 or f16).
    pub dtype: DType,
    /// How a and b line up with out.
    pub layout: Vec4Layout,
}

impl BinaryVec4Spec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let same = |name: &str| {
            format!("fn {name}_index(i: u32) -> u32 {{ return p.{name}_off / 4u + i; }}\n")
        };
        let repeat = |name: &str| {
            format!("fn {name}_index(i: u32) -> u32 {{ return p.{name}_off / 4u + i % max(p.{name}_period / 4u, 1u); }}\n")
        };
        let (a_index, b_index) = match self.layout {
            Vec4Layout::Same => (same("a"), same("b")),
            Vec4Layout::RepeatA => (repeat("a"), same("b")),
            Vec4Layout::RepeatB => (same("a"), repeat("b")),
        };
        let header = format!(
            "{}{}{a_index}{b_index}",
            dtype_header(self.dtype),
            binary_snippet(self.op)
        );
        linear_kernel::<BinaryVec4Params>(
            format!(
                "binary_vec4/{}/{}/{}/wg{DEFAULT_WG}",
                self.op.name(),
                self.dtype,
                self.layout.name()
            ),
            &header,
            &binary_bindings("vec4<T>"),
            BINARY_VEC4,
            self.dtype == DType::F16,
        )
    }

    /// Every variant: each op in f32 and f16, in each layout.
    pub fn all() -> Vec<BinaryVec4Spec> {
        let mut all = Vec::new();
        for dtype in DType::FLOATS {
            for layout in Vec4Layout::ALL {
                all.extend(BinaryOp::ALL.map(|op| BinaryVec4Spec { op, dtype, layout }));
            }
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vec4_grid_and_fit() {
        assert_eq!(elementwise_vec4_workgroups(4), Some([1, 1, 1]));
        assert_eq!(elementwise_vec4_workgroups(1024), Some([1, 1, 1]));
        assert_eq!(elementwise_vec4_workgroups(1028), Some([2, 1, 1]));
        // 256M elements: 64M vec4s, 262144 workgroups, a 2-D grid.
        let g = elementwise_vec4_workgroups(1 << 28).unwrap();
        assert!(g[1] > 1 && g[0] as u64 * g[1] as u64 >= 1 << 18);
        assert!(vec4_fits(8, &[0, 4]));
        assert!(!vec4_fits(6, &[0]));
        assert!(!vec4_fits(8, &[1]));
    }
}
