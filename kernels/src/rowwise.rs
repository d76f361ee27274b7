//! Row-wise kernels, one workgroup per output row: axis reductions (sum, mean,
//! max, min, argmax), softmax with an optional broadcast mask, layer and RMS norm.

use crate::assemble::{fixed_kernel, strided_helpers, Binding};
use crate::grid::{grid_for_workgroups, MAX_RANK};
use crate::params::uniform_params;
use crate::{dtype_header, DType, KernelSource, NormKind, ReduceOp};

const REDUCE: &str = include_str!("wgsl/reduce.wgsl");
const ARGMAX: &str = include_str!("wgsl/argmax.wgsl");
const SOFTMAX: &str = include_str!("wgsl/softmax.wgsl");
/// The mask addressing of softmax, shared with the vec4 kernels.
const SOFTMAX_COMMON: &str = include_str!("wgsl/softmax_common.wgsl");
const NORM: &str = include_str!("wgsl/norm.wgsl");
/// The workgroup tree reductions of the row kernels (`workgroup_max`, `workgroup_sum`).
pub(crate) const ROW_COMMON: &str = include_str!("wgsl/row_common.wgsl");

/// Threads per row (a power of two: the tree reductions halve it).
pub const ROW_WG: u32 = 256;

/// Every workgroup size of the row kernels: the powers of two that
/// [`row_wg_for`] and [`crate::row_vec4_wg_for`] pick, 32 to [`ROW_WG`].
pub(crate) const ROW_WGS: [u32; 4] = [32, 64, 128, ROW_WG];

/// Every (storage type, workgroup size) the row kernels render: f32 and f16,
/// each of [`ROW_WGS`].
pub(crate) fn row_choices() -> impl Iterator<Item = (DType, u32)> {
    DType::FLOATS
        .into_iter()
        .flat_map(|dtype| ROW_WGS.map(|wg| (dtype, wg)))
}

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

uniform_params!(ReduceParams = include_str!("wgsl/reduce_params.wgsl");
    outer, len, inner, x_off, y_off, pad);

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
            ReduceOp::ArgMax => {
                const BINDINGS: [Binding; 2] =
                    [Binding::read("x", "T"), Binding::read_write("y", "u32")];
                return self.kernel(key, &wg_header(self.dtype, self.wg), &BINDINGS, ARGMAX);
            }
        };
        const BINDINGS: [Binding; 2] = [Binding::read("x", "T"), Binding::read_write("y", "T")];
        let header = format!(
            "{}fn init() -> f32 {{ return {init}; }}\nfn combine(a: f32, b: f32) -> f32 {{ return {combine}; }}\nfn finish(acc: f32, len: u32) -> f32 {{ return {finish}; }}\n",
            wg_header(self.dtype, self.wg)
        );
        self.kernel(key, &header, &BINDINGS, REDUCE)
    }

    fn kernel(&self, key: String, header: &str, bindings: &[Binding], body: &str) -> KernelSource {
        fixed_kernel::<ReduceParams>(
            key,
            header,
            bindings,
            body,
            [self.wg, 1, 1],
            self.dtype == DType::F16,
        )
    }

    /// Every variant: each reduction of f32 and f16 with each workgroup size.
    pub fn all() -> Vec<ReduceSpec> {
        row_choices()
            .flat_map(|(dtype, wg)| ReduceOp::ALL.map(|op| ReduceSpec { op, dtype, wg }))
            .collect()
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

uniform_params!(SoftmaxParams = include_str!("wgsl/softmax_params.wgsl");
    rows, n, x_off, y_off, m_off, rank, pad, shape, m_strides);

/// The header of a softmax kernel: the row header `header`, the mask's
/// addressing and `mask_fn`, which reads the mask (or gives zeros).
pub(crate) fn softmax_header(header: &str, masked: bool, mask_fn: &str) -> String {
    format!(
        "{header}{}{SOFTMAX_COMMON}const HAS_MASK: bool = {masked};\n{mask_fn}",
        strided_helpers()
    )
}

/// The bindings of softmax: x, [mask], y; x and y of `elem` (`T` or
/// `vec4<T>`), the mask of `T`.
pub(crate) fn softmax_bindings(masked: bool, elem: &'static str) -> Vec<Binding> {
    let mask = masked.then_some(Binding::read("mask", "T"));
    [Binding::read("x", elem)]
        .into_iter()
        .chain(mask)
        .chain([Binding::read_write("y", elem)])
        .collect()
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
        let mask_fn = if self.masked {
            "fn mask_at(row: u32, j: u32) -> f32 { return f32(mask[row + j * mask_col_stride()]); }\n"
        } else {
            "fn mask_at(row: u32, j: u32) -> f32 { return 0.0; }\n"
        };
        let header = softmax_header(&wg_header(self.dtype, self.wg), self.masked, mask_fn);
        let key = format!(
            "softmax/{}/{}/wg{}",
            if self.masked { "mask" } else { "plain" },
            self.dtype,
            self.wg
        );
        fixed_kernel::<SoftmaxParams>(
            key,
            &format!("{header}{ROW_COMMON}"),
            &softmax_bindings(self.masked, "T"),
            SOFTMAX,
            [self.wg, 1, 1],
            self.dtype == DType::F16,
        )
    }

    /// Every variant: f32 and f16, with and without a mask, each workgroup size.
    pub fn all() -> Vec<SoftmaxSpec> {
        row_choices()
            .flat_map(|(dtype, wg)| [false, true].map(|masked| SoftmaxSpec { dtype, masked, wg }))
            .collect()
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

uniform_params!(NormParams = include_str!("wgsl/norm_params.wgsl");
    rows, n, x_off, y_off, w_off, b_off, eps, pad0);

/// The norms we define, as (kind, has weight, has bias): every combination
/// but RMS norm with a bias.
pub(crate) fn norm_forms() -> Vec<(NormKind, bool, bool)> {
    let mut forms = Vec::new();
    for kind in NormKind::ALL {
        for (has_weight, has_bias) in [(false, false), (true, false), (false, true), (true, true)] {
            if kind == NormKind::Layer || !has_bias {
                forms.push((kind, has_weight, has_bias));
            }
        }
    }
    forms
}

/// The bindings of the norms: x, [w], [b], y, all of `elem` (`T` or `vec4<T>`).
pub(crate) fn norm_bindings(has_weight: bool, has_bias: bool, elem: &'static str) -> Vec<Binding> {
    let w = has_weight.then_some(Binding::read("w", elem));
    let b = has_bias.then_some(Binding::read("b", elem));
    [Binding::read("x", elem)]
        .into_iter()
        .chain(w)
        .chain(b)
        .chain([Binding::read_write("y", elem)])
        .collect()
}

/// The key of a norm kernel: `family/kind/dtype/w?/b?/wg`.
pub(crate) fn norm_key(
    family: &str,
    kind: NormKind,
    dtype: DType,
    w: bool,
    b: bool,
    wg: u32,
) -> String {
    format!(
        "{family}/{}/{dtype}/w{}/b{}/wg{wg}",
        kind.name(),
        w as u8,
        b as u8
    )
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
            "{}const KIND_LAYER: bool = {};\nfn weight_at(j: u32) -> f32 {{ return {weight}; }}\nfn bias_at(j: u32) -> f32 {{ return {bias}; }}\n",
            wg_header(self.dtype, self.wg),
            self.kind == NormKind::Layer
        );
        Some(fixed_kernel::<NormParams>(
            norm_key(
                "norm",
                self.kind,
                self.dtype,
                self.has_weight,
                self.has_bias,
                self.wg,
            ),
            &format!("{header}{ROW_COMMON}"),
            &norm_bindings(self.has_weight, self.has_bias, "T"),
            NORM,
            [self.wg, 1, 1],
            self.dtype == DType::F16,
        ))
    }

    /// Every variant: each norm we define, in f32 and f16, each workgroup size.
    pub fn all() -> Vec<NormSpec> {
        row_choices()
            .flat_map(|(dtype, wg)| {
                norm_forms()
                    .into_iter()
                    .map(move |(kind, has_weight, has_bias)| NormSpec {
                        kind,
                        dtype,
                        has_weight,
                        has_bias,
                        wg,
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_workgroup_sizes() {
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
        for len in [1, 31, 32, 33, 100, 255, 256, 257, 4096, 1 << 20] {
            assert!(ROW_WGS.contains(&row_wg_for(len)), "{len}");
        }
        assert_eq!(norm_forms().len(), 6);
    }
}
