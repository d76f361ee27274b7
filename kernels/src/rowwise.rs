//! Row-wise kernels, one workgroup per output row: axis reductions (sum, mean,
//! max, min, argmax), softmax with an optional broadcast mask, layer and RMS norm.

use crate::assemble::fixed_kernel;
use crate::grid::{grid_for_workgroups, MAX_RANK};
use crate::{dtype_header, BindingKind, DType, KernelSource, NormKind, ReduceOp};

const REDUCE: &str = include_str!("wgsl/reduce.wgsl");
const ARGMAX: &str = include_str!("wgsl/argmax.wgsl");
const SOFTMAX: &str = include_str!("wgsl/softmax.wgsl");
/// Softmax's parameter struct and mask addressing, shared with the vec4 kernels.
pub(crate) const SOFTMAX_COMMON: &str = include_str!("wgsl/softmax_common.wgsl");
const NORM: &str = include_str!("wgsl/norm.wgsl");
const ROW_COMMON: &str = include_str!("wgsl/row_common.wgsl");

/// Threads per row (a power of two: the tree reductions halve it).
pub const ROW_WG: u32 = 256;

/// Threads per row for rows of `len`: the next power of two, from 32 to
/// [`ROW_WG`]. Short rows (attention over short sequences) waste most of a
/// 256-thread workgroup, which costs dearly on software adapters.
pub fn row_wg_for(len: usize) -> u32 {
    (len.max(1).next_power_of_two() as u32).clamp(32, ROW_WG)
}

/// NaN test by bits: drivers may fold `v != v` away, a bit test they keep.
const IS_NAN: &str =
    "fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }\n";

pub(crate) fn wg_header(dtype: DType, wg: u32) -> String {
    format!("{}const WG: u32 = {wg}u;\n{IS_NAN}", dtype_header(dtype))
}

/// Grid for `rows` workgroups.
pub fn rowwise_workgroups(rows: u64) -> Option<[u32; 3]> {
    grid_for_workgroups(rows)
}

/// Parameters of the reductions: x viewed as `[outer, len, inner]`, output `[outer, inner]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct ReduceParams {
    /// Product of the dims before the axis.
    pub outer: u32,
    /// Length of the reduced axis.
    pub len: u32,
    /// Product of the dims after the axis.
    pub inner: u32,
    /// Input offset.
    pub x_off: u32,
    /// Output offset.
    pub y_off: u32,
    /// Padding.
    pub pad: [u32; 3],
}

/// A reduction along one axis of a contiguous tensor; one workgroup per output
/// (`outer * inner` of them). Bindings: x (read), y (write; u32 for argmax).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReduceSpec {
    /// The reduction.
    pub op: ReduceOp,
    /// Input storage type (f32 or f16).
    pub dtype: DType,
    /// Threads per workgroup (a power of two, 32..=256; see [`row_wg_for`]).
    pub wg: u32,
}

impl ReduceSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let key = format!("reduce/{}/{}/wg{}", self.op.name(), self.dtype, self.wg);
        let bindings = vec![BindingKind::ReadOnly, BindingKind::ReadWrite];
        let size = std::mem::size_of::<ReduceParams>();
        let needs_f16 = self.dtype == DType::F16;
        if self.op == ReduceOp::ArgMax {
            return fixed_kernel(
                key,
                &wg_header(self.dtype, self.wg),
                ARGMAX,
                bindings,
                size,
                [self.wg, 1, 1],
                needs_f16,
            );
        }
        let (init, combine, finish) = match self.op {
            ReduceOp::Sum => ("0.0", "a + b", "acc"),
            ReduceOp::Mean => ("0.0", "a + b", "acc / f32(max(len, 1u))"),
            ReduceOp::Max => (
                "bitcast<f32>(0xff800000u)",
                "select(max(a, b), bitcast<f32>(0x7fc00000u), is_nan(a) || is_nan(b))",
                "acc",
            ),
            ReduceOp::Min => (
                "bitcast<f32>(0x7f800000u)",
                "select(min(a, b), bitcast<f32>(0x7fc00000u), is_nan(a) || is_nan(b))",
                "acc",
            ),
            ReduceOp::ArgMax => unreachable!("handled above"),
        };
        let header = format!(
            "{}fn init() -> f32 {{ return {init}; }}\nfn combine(a: f32, b: f32) -> f32 {{ return {combine}; }}\nfn finish(acc: f32, len: u32) -> f32 {{ return {finish}; }}\n",
            wg_header(self.dtype, self.wg)
        );
        fixed_kernel(
            key,
            &header,
            REDUCE,
            bindings,
            size,
            [self.wg, 1, 1],
            needs_f16,
        )
    }
}

/// Parameters of softmax: `rows` rows of `n`; the mask is addressed through
/// strides over the input's full shape (0 on broadcast dims).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct SoftmaxParams {
    /// Rows (product of the leading dims).
    pub rows: u32,
    /// Row length (last dim).
    pub n: u32,
    /// Input offset.
    pub x_off: u32,
    /// Output offset.
    pub y_off: u32,
    /// Mask offset.
    pub m_off: u32,
    /// Rank of the input shape (>= 1, <= 8).
    pub rank: u32,
    /// Padding.
    pub pad: [u32; 2],
    /// Input shape.
    pub shape: [u32; MAX_RANK],
    /// Mask strides over the input shape.
    pub m_strides: [u32; MAX_RANK],
}

/// Stable softmax along the last axis, optionally of `x + mask`. Rows whose every
/// value is -inf give zeros. Bindings: x, [mask], y.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SoftmaxSpec {
    /// Storage type of x, mask and y.
    pub dtype: DType,
    /// Whether a mask binding is present.
    pub masked: bool,
    /// Threads per workgroup (a power of two, 32..=256; see [`row_wg_for`]).
    pub wg: u32,
}

impl SoftmaxSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let (decls, mask_fn, bindings) = if self.masked {
            (
                "@group(0) @binding(1) var<storage, read> mask: array<T>;\n@group(0) @binding(2) var<storage, read_write> y: array<T>;\n@group(0) @binding(3) var<uniform> p: Params;\n",
                "fn mask_at(row: u32, j: u32) -> f32 { let k = clamp(p.rank, 1u, 8u) - 1u; return f32(mask[row + j * p.m_strides[k / 4u][k % 4u]]); }\n",
                vec![BindingKind::ReadOnly, BindingKind::ReadOnly, BindingKind::ReadWrite],
            )
        } else {
            (
                "@group(0) @binding(1) var<storage, read_write> y: array<T>;\n@group(0) @binding(2) var<uniform> p: Params;\n",
                "fn mask_at(row: u32, j: u32) -> f32 { return 0.0; }\n",
                vec![BindingKind::ReadOnly, BindingKind::ReadWrite],
            )
        };
        let header = format!(
            "{}const HAS_MASK: bool = {};\n{decls}{mask_fn}",
            wg_header(self.dtype, self.wg),
            self.masked
        );
        let key = format!(
            "softmax/{}/{}/wg{}",
            if self.masked { "mask" } else { "plain" },
            self.dtype,
            self.wg
        );
        fixed_kernel(
            key,
            &format!("{header}{ROW_COMMON}"),
            &format!("{SOFTMAX_COMMON}{SOFTMAX}"),
            bindings,
            std::mem::size_of::<SoftmaxParams>(),
            [self.wg, 1, 1],
            self.dtype == DType::F16,
        )
    }
}

/// Parameters of the norms.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct NormParams {
    /// Rows.
    pub rows: u32,
    /// Row length.
    pub n: u32,
    /// Input offset.
    pub x_off: u32,
    /// Output offset.
    pub y_off: u32,
    /// Weight offset.
    pub w_off: u32,
    /// Bias offset.
    pub b_off: u32,
    /// Added to the variance (or mean square).
    pub eps: f32,
    /// Padding.
    pub pad0: u32,
}

/// Layer norm (biased variance, two passes in f32) or RMS norm along the last
/// axis, with optional weight and (layer norm only) bias. Bindings: x, [w], [b], y.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NormSpec {
    /// Which norm.
    pub kind: NormKind,
    /// Storage type.
    pub dtype: DType,
    /// Whether a weight binding is present.
    pub has_weight: bool,
    /// Whether a bias binding is present (layer norm only).
    pub has_bias: bool,
    /// Threads per workgroup (a power of two, 32..=256; see [`row_wg_for`]).
    pub wg: u32,
}

impl NormSpec {
    /// Render the kernel; `None` for RMS norm with a bias, which is not a norm we define.
    pub fn render(&self) -> Option<KernelSource> {
        if self.kind == NormKind::Rms && self.has_bias {
            return None;
        }
        let mut decls = String::new();
        let mut bindings = vec![BindingKind::ReadOnly];
        let mut next = 1;
        let mut binding =
            |name: &str, access: &str, decls: &mut String, bindings: &mut Vec<BindingKind>| {
                decls.push_str(&format!(
                    "@group(0) @binding({next}) var<storage, {access}> {name}: array<T>;\n"
                ));
                bindings.push(if access == "read" {
                    BindingKind::ReadOnly
                } else {
                    BindingKind::ReadWrite
                });
                next += 1;
            };
        if self.has_weight {
            binding("w", "read", &mut decls, &mut bindings);
        }
        if self.has_bias {
            binding("b", "read", &mut decls, &mut bindings);
        }
        binding("y", "read_write", &mut decls, &mut bindings);
        decls.push_str(&format!(
            "@group(0) @binding({next}) var<uniform> p: Params;\n"
        ));
        let weight = if self.has_weight {
            "f32(w[p.w_off + j])"
        } else {
            "1.0"
        };
        let bias = if self.has_bias {
            "f32(b[p.b_off + j])"
        } else {
            "0.0"
        };
        let header = format!(
            "{}const KIND_LAYER: bool = {};\n{decls}fn weight_at(j: u32) -> f32 {{ return {weight}; }}\nfn bias_at(j: u32) -> f32 {{ return {bias}; }}\n",
            wg_header(self.dtype, self.wg),
            self.kind == NormKind::Layer
        );
        let key = format!(
            "norm/{}/{}/w{}/b{}/wg{}",
            if self.kind == NormKind::Layer {
                "layer"
            } else {
                "rms"
            },
            self.dtype,
            self.has_weight as u8,
            self.has_bias as u8,
            self.wg
        );
        Some(fixed_kernel(
            key,
            &format!("{header}{ROW_COMMON}"),
            NORM,
            bindings,
            std::mem::size_of::<NormParams>(),
            [self.wg, 1, 1],
            self.dtype == DType::F16,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naga_check::check_kernel;
    use std::collections::HashSet;

    #[test]
    fn every_rowwise_variant_validates() {
        let mut keys = HashSet::new();
        for (dtype, wg) in [DType::F32, DType::F16]
            .into_iter()
            .flat_map(|d| [32, 64, 128, 256].map(|w| (d, w)))
        {
            let mut sources: Vec<KernelSource> = ReduceOp::ALL
                .iter()
                .map(|&op| ReduceSpec { op, dtype, wg }.render())
                .collect();
            sources.extend([false, true].map(|masked| SoftmaxSpec { dtype, masked, wg }.render()));
            for kind in [NormKind::Layer, NormKind::Rms] {
                for has_weight in [false, true] {
                    for has_bias in [false, true] {
                        match (NormSpec {
                            kind,
                            dtype,
                            has_weight,
                            has_bias,
                            wg,
                        }
                        .render())
                        {
                            Some(src) => sources.push(src),
                            None => assert!(kind == NormKind::Rms && has_bias),
                        }
                    }
                }
            }
            for src in sources {
                check_kernel(&src);
                assert!(keys.insert(src.key.clone()), "duplicate key {}", src.key);
            }
        }
        assert_eq!(
            (
                row_wg_for(1),
                row_wg_for(30),
                row_wg_for(33),
                row_wg_for(384),
                row_wg_for(1 << 20)
            ),
            (32, 32, 64, 256, 256)
        );
        for size in [
            std::mem::size_of::<ReduceParams>(),
            std::mem::size_of::<SoftmaxParams>(),
            std::mem::size_of::<NormParams>(),
        ] {
            assert_eq!(size % 16, 0);
        }
    }
}
