//! Elementwise kernels: unary functions, scalar affine, broadcasting binary ops
//! and where/select.

use crate::assemble::{linear_kernel, strided_helpers, Binding, DEFAULT_WG};
use crate::float_math::float_math;
use crate::grid::{grid_for_items, MAX_RANK};
use crate::params::uniform_params;
use crate::{dtype_header, BinaryOp, DType, KernelSource, UnaryOp};

const UNARY: &str = include_str!("wgsl/unary.wgsl");
const BINARY: &str = include_str!("wgsl/binary.wgsl");
const WHERE: &str = include_str!("wgsl/where.wgsl");

/// The WGSL expression of `op` applied to the f32 `v`.
pub(crate) fn unary_expr(op: UnaryOp) -> &'static str {
    match op {
        UnaryOp::Neg => "-v",
        UnaryOp::Abs => "abs(v)",
        UnaryOp::Exp => "exp(v)",
        UnaryOp::Log => "log(v)",
        UnaryOp::Sqrt => "sqrt(v)",
        UnaryOp::Rsqrt => "inverseSqrt(v)",
        UnaryOp::Tanh => "tanh_safe(v)",
        UnaryOp::Relu => "max(v, 0.0)",
        UnaryOp::GeluErf => "0.5 * v * (1.0 + erf_approx(v * 0.70710678118654752))",
        UnaryOp::GeluTanh => {
            "0.5 * v * (1.0 + tanh_safe(0.79788456080286536 * (v + 0.044715 * v * v * v)))"
        }
        UnaryOp::Silu => "v * sigmoid_safe(v)",
        UnaryOp::Sigmoid => "sigmoid_safe(v)",
        UnaryOp::Erf => "erf_approx(v)",
    }
}

pub(crate) fn unary_snippet(op: UnaryOp) -> String {
    format!(
        "{}fn op(v: f32) -> f32 {{ return {}; }}\n",
        float_math(),
        unary_expr(op)
    )
}

/// The WGSL expression of `op` applied to the f32s `x` and `y`.
pub(crate) fn binary_expr(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "x + y",
        BinaryOp::Sub => "x - y",
        BinaryOp::Mul => "x * y",
        BinaryOp::Div => "x / y",
        BinaryOp::Max => "max(x, y)",
        BinaryOp::Min => "min(x, y)",
        // powf semantics, negative bases included: see pow_f32 in float_math.wgsl.
        BinaryOp::Pow => "pow_f32(x, y)",
        BinaryOp::SiluMul => "x * sigmoid_safe(x) * y",
        BinaryOp::Less => "select(0.0, 1.0, x < y)",
        BinaryOp::Greater => "select(0.0, 1.0, x > y)",
        BinaryOp::LessEqual => "select(0.0, 1.0, x <= y)",
        BinaryOp::GreaterEqual => "select(0.0, 1.0, x >= y)",
        BinaryOp::Equal => "select(0.0, 1.0, x == y)",
    }
}

pub(crate) fn binary_snippet(op: BinaryOp) -> String {
    format!(
        "{}fn op(x: f32, y: f32) -> f32 {{ return {}; }}\n",
        float_math(),
        binary_expr(op)
    )
}

/// Parameters of the unary and affine kernels (contiguous ranges).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct UnaryParams {
    /// Elements.
    pub n: u32,
    /// Input offset in elements.
    pub x_off: u32,
    /// Output offset in elements.
    pub y_off: u32,
    /// Padding.
    pub pad0: u32,
    /// Affine scale (affine only).
    pub scale: f32,
    /// Affine bias (affine only).
    pub bias: f32,
    /// Padding.
    pub pad1: [u32; 2],
}

uniform_params!(UnaryParams = include_str!("wgsl/unary_params.wgsl");
    n, x_off, y_off, pad0, scale, bias, pad1);

/// Bindings of the unary and affine kernels.
const UNARY_BINDINGS: [Binding; 2] = [Binding::read("x", "T"), Binding::read_write("y", "T")];

/// Bindings of the binary kernels (scalar and vec4: `elem` is `T` or `vec4<T>`).
pub(crate) const fn binary_bindings(elem: &'static str) -> [Binding; 3] {
    [
        Binding::read("a", elem),
        Binding::read("b", elem),
        Binding::read_write("out", elem),
    ]
}

/// `y = op(x)` elementwise. Bindings: x (read), y (write).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UnarySpec {
    /// The function.
    pub op: UnaryOp,
    /// Storage type (f32 or f16).
    pub dtype: DType,
}

impl UnarySpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let header = format!("{}{}", dtype_header(self.dtype), unary_snippet(self.op));
        unary_like(
            format!("unary/{}/{}", self.op.name(), self.dtype),
            &header,
            self.dtype,
        )
    }

    /// Every variant: each op in f32 and f16.
    pub fn all() -> Vec<UnarySpec> {
        DType::FLOATS
            .into_iter()
            .flat_map(|dtype| UnaryOp::ALL.map(|op| UnarySpec { op, dtype }))
            .collect()
    }
}

/// `y = x * scale + bias` elementwise. Bindings: x (read), y (write).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AffineSpec {
    /// Storage type (f32 or f16).
    pub dtype: DType,
}

impl AffineSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let header = format!(
            "{}fn op(v: f32) -> f32 {{ return v * p.scale + p.bias; }}\n",
            dtype_header(self.dtype)
        );
        unary_like(format!("affine/{}", self.dtype), &header, self.dtype)
    }

    /// Every variant: f32 and f16.
    pub fn all() -> Vec<AffineSpec> {
        DType::FLOATS.map(|dtype| AffineSpec { dtype }).to_vec()
    }
}

fn unary_like(key: String, header: &str, dtype: DType) -> KernelSource {
    linear_kernel::<UnaryParams>(
        format!("{key}/wg{DEFAULT_WG}"),
        header,
        &UNARY_BINDINGS,
        UNARY,
        dtype == DType::F16,
    )
}

/// Grid of the 1-D elementwise kernels for `n` elements.
pub fn elementwise_workgroups(n: u64) -> Option<[u32; 3]> {
    grid_for_items(n, DEFAULT_WG)
}

/// Parameters of the broadcasting binary kernel.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct BinaryParams {
    /// Output elements.
    pub n: u32,
    /// Rank of the output (<= 8).
    pub rank: u32,
    /// Offset of a.
    pub a_off: u32,
    /// Offset of b.
    pub b_off: u32,
    /// Offset of out.
    pub out_off: u32,
    /// Padding.
    pub pad: [u32; 3],
    /// Output shape.
    pub shape: [u32; MAX_RANK],
    /// Strides of a over the output shape (0 where broadcast).
    pub a_strides: [u32; MAX_RANK],
    /// Strides of b over the output shape (0 where broadcast).
    pub b_strides: [u32; MAX_RANK],
}

uniform_params!(BinaryParams = include_str!("wgsl/binary_params.wgsl");
    n, rank, a_off, b_off, out_off, pad, shape, a_strides, b_strides);

/// `out = op(a, b)` with numpy broadcasting. Bindings: a, b (read), out (write).
///
/// `Pow` has C `powf` semantics (as Rust's `f32::powf`): `x^0 = 1`, `1^y = 1`,
/// `0^y` is 0 for `y > 0` and +inf for `y < 0`, a negative base with an integer
/// exponent is `±|x|^y` (negative for odd `y`), with a non-integer exponent NaN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BinarySpec {
    /// The function.
    pub op: BinaryOp,
    /// Storage type (f32 or f16).
    pub dtype: DType,
}

impl BinarySpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let header = format!(
            "{}{}{}",
            dtype_header(self.dtype),
            strided_helpers(),
            binary_snippet(self.op)
        );
        linear_kernel::<BinaryParams>(
            format!("binary/{}/{}/wg{DEFAULT_WG}", self.op.name(), self.dtype),
            &header,
            &binary_bindings("T"),
            BINARY,
            self.dtype == DType::F16,
        )
    }

    /// Every variant: each op in f32 and f16.
    pub fn all() -> Vec<BinarySpec> {
        DType::FLOATS
            .into_iter()
            .flat_map(|dtype| BinaryOp::ALL.map(|op| BinarySpec { op, dtype }))
            .collect()
    }
}

/// Parameters of the where/select kernel.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct WhereParams {
    /// Output elements.
    pub n: u32,
    /// Rank of the output (<= 8).
    pub rank: u32,
    /// Offset of cond.
    pub c_off: u32,
    /// Offset of a.
    pub a_off: u32,
    /// Offset of b.
    pub b_off: u32,
    /// Offset of out.
    pub out_off: u32,
    /// Padding.
    pub pad: [u32; 2],
    /// Output shape.
    pub shape: [u32; MAX_RANK],
    /// Strides of cond.
    pub c_strides: [u32; MAX_RANK],
    /// Strides of a.
    pub a_strides: [u32; MAX_RANK],
    /// Strides of b.
    pub b_strides: [u32; MAX_RANK],
}

uniform_params!(WhereParams = include_str!("wgsl/where_params.wgsl");
    n, rank, c_off, a_off, b_off, out_off, pad, shape, c_strides, a_strides, b_strides);

/// Bindings of the where kernel.
const WHERE_BINDINGS: [Binding; 4] = [
    Binding::read("cond", "u32"),
    Binding::read("a", "T"),
    Binding::read("b", "T"),
    Binding::read_write("out", "T"),
];

/// `out = cond != 0 ? a : b` with broadcasting. Bindings: cond (u32), a, b (read), out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WhereSpec {
    /// Storage type of a, b and out.
    pub dtype: DType,
}

impl WhereSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        linear_kernel::<WhereParams>(
            format!("where/{}/wg{DEFAULT_WG}", self.dtype),
            &format!("{}{}", dtype_header(self.dtype), strided_helpers()),
            &WHERE_BINDINGS,
            WHERE,
            self.dtype == DType::F16,
        )
    }

    /// Every variant: f32 and f16.
    pub fn all() -> Vec<WhereSpec> {
        DType::FLOATS.map(|dtype| WhereSpec { dtype }).to_vec()
    }
}
