//! Elementwise kernels: unary functions, scalar affine, broadcasting binary ops
//! and where/select.

use crate::assemble::{linear_kernel, DEFAULT_WG};
use crate::grid::{grid_for_items, MAX_RANK};
use crate::{dtype_header, BinaryOp, BindingKind, DType, KernelSource, UnaryOp};

const UNARY: &str = include_str!("wgsl/unary.wgsl");
const BINARY: &str = include_str!("wgsl/binary.wgsl");
const WHERE: &str = include_str!("wgsl/where.wgsl");

/// erf by Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7), odd-extended.
const ERF: &str = "fn erf_approx(v: f32) -> f32 {
    let a = abs(v);
    let t = 1.0 / (1.0 + 0.3275911 * a);
    let poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
    return sign(v) * (1.0 - poly * exp(-a * a));
}
";

/// tanh with the argument clamped: some drivers overflow `exp` inside `tanh`
/// and return NaN for large |x|; tanh(±15) is ±1 in f32 already.
const TANH: &str = "fn tanh_safe(v: f32) -> f32 { return tanh(clamp(v, -15.0, 15.0)); }\n";

fn unary_snippet(op: UnaryOp) -> String {
    let expr = match op {
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
        UnaryOp::Silu => "v / (1.0 + exp(-v))",
        UnaryOp::Sigmoid => "1.0 / (1.0 + exp(-v))",
    };
    format!("{ERF}{TANH}fn op(v: f32) -> f32 {{ return {expr}; }}\n")
}

fn binary_snippet(op: BinaryOp) -> String {
    let expr = match op {
        BinaryOp::Add => "x + y",
        BinaryOp::Sub => "x - y",
        BinaryOp::Mul => "x * y",
        BinaryOp::Div => "x / y",
        BinaryOp::Max => "max(x, y)",
        BinaryOp::Min => "min(x, y)",
        // WGSL pow is undefined for x < 0; callers keep bases positive.
        BinaryOp::Pow => "pow(x, y)",
    };
    format!("fn op(x: f32, y: f32) -> f32 {{ return {expr}; }}\n")
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
}

fn unary_like(key: String, header: &str, dtype: DType) -> KernelSource {
    linear_kernel(
        format!("{key}/wg{DEFAULT_WG}"),
        header,
        UNARY,
        vec![BindingKind::ReadOnly, BindingKind::ReadWrite],
        std::mem::size_of::<UnaryParams>(),
        DEFAULT_WG,
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

/// `out = op(a, b)` with numpy broadcasting. Bindings: a, b (read), out (write).
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
        let header = format!("{}{}", dtype_header(self.dtype), binary_snippet(self.op));
        linear_kernel(
            format!("binary/{}/{}/wg{DEFAULT_WG}", self.op.name(), self.dtype),
            &header,
            BINARY,
            vec![
                BindingKind::ReadOnly,
                BindingKind::ReadOnly,
                BindingKind::ReadWrite,
            ],
            std::mem::size_of::<BinaryParams>(),
            DEFAULT_WG,
            self.dtype == DType::F16,
        )
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

/// `out = cond != 0 ? a : b` with broadcasting. Bindings: cond (u32), a, b (read), out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WhereSpec {
    /// Storage type of a, b and out.
    pub dtype: DType,
}

impl WhereSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        linear_kernel(
            format!("where/{}/wg{DEFAULT_WG}", self.dtype),
            &dtype_header(self.dtype),
            WHERE,
            vec![
                BindingKind::ReadOnly,
                BindingKind::ReadOnly,
                BindingKind::ReadOnly,
                BindingKind::ReadWrite,
            ],
            std::mem::size_of::<WhereParams>(),
            DEFAULT_WG,
            self.dtype == DType::F16,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naga_check::check_kernel;
    use std::collections::HashSet;

    #[test]
    fn every_elementwise_variant_validates() {
        let mut keys = HashSet::new();
        for dtype in [DType::F32, DType::F16] {
            let mut sources = vec![AffineSpec { dtype }.render(), WhereSpec { dtype }.render()];
            sources.extend(UnaryOp::ALL.map(|op| UnarySpec { op, dtype }.render()));
            sources.extend(BinaryOp::ALL.map(|op| BinarySpec { op, dtype }.render()));
            for src in sources {
                check_kernel(&src);
                assert!(keys.insert(src.key.clone()), "duplicate key {}", src.key);
            }
        }
    }

    #[test]
    fn params_are_uniform_sized() {
        for size in [
            std::mem::size_of::<UnaryParams>(),
            std::mem::size_of::<BinaryParams>(),
            std::mem::size_of::<WhereParams>(),
        ] {
            assert_eq!(size % 16, 0);
        }
    }
}
