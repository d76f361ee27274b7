//! Layer norm and RMS norm along the last axis: the general kernel (any row),
//! the per-thread kernel (the general body, one invocation per row) and the
//! vec4 kernel (rows and offsets multiples of 4, tree or subgroup
//! reductions).

use crate::assemble::{fixed_kernel, Binding};
use crate::params::uniform_params;
use crate::row_per_thread::{per_thread_header, row_per_thread_kernel, ROW_PER_THREAD_WG};
use crate::row_vec4::{header, row_vec4_choices, row_vec4_kernel};
use crate::rowwise::{row_choices, wg_header, ROW_COMMON, ROW_ENTRY};
use crate::{DType, KernelSource, NormKind};

const NORM: &str = include_str!("wgsl/norm.wgsl");
const NORM_VEC4: &str = include_str!("wgsl/norm_vec4.wgsl");

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

/// The header of the scalar norm kernels (general and per-thread): the row
/// header `header`, `KIND_LAYER`, `weight_at(j)` and `bias_at(j)` (1 and 0
/// where absent).
fn scalar_norm_header(header: &str, kind: NormKind, has_weight: bool, has_bias: bool) -> String {
    let weight = if has_weight {
        "f32(w[p.w_off + j])"
    } else {
        "1.0"
    };
    let bias = if has_bias {
        "f32(b[p.b_off + j])"
    } else {
        "0.0"
    };
    format!(
        "{header}const KIND_LAYER: bool = {};\nfn weight_at(j: u32) -> f32 {{ return {weight}; }}\nfn bias_at(j: u32) -> f32 {{ return {bias}; }}\n",
        kind == NormKind::Layer
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
        let header = scalar_norm_header(
            &wg_header(self.dtype, self.wg),
            self.kind,
            self.has_weight,
            self.has_bias,
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
            &format!("{header}{ROW_COMMON}{ROW_ENTRY}"),
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

/// Layer norm or RMS norm along the last axis, with optional weight and
/// (layer norm only) bias, one invocation per row ([`crate::ROW_PER_THREAD_WG`]
/// rows per workgroup, no barrier): for short rows on software adapters.
/// Bindings: x, [w], [b], y. Grid: [`crate::row_per_thread_workgroups`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NormPerThreadSpec {
    /// Which norm.
    pub kind: NormKind,
    /// Storage type.
    pub dtype: DType,
    /// Whether a weight binding is present.
    pub has_weight: bool,
    /// Whether a bias binding is present (layer norm only).
    pub has_bias: bool,
}

impl NormPerThreadSpec {
    /// Render the kernel; `None` for RMS norm with a bias, which is not a norm we define.
    pub fn render(&self) -> Option<KernelSource> {
        if self.kind == NormKind::Rms && self.has_bias {
            return None;
        }
        let (w, b) = (self.has_weight, self.has_bias);
        let header = scalar_norm_header(&per_thread_header(self.dtype), self.kind, w, b);
        Some(row_per_thread_kernel::<NormParams>(
            norm_key(
                "norm_per_thread",
                self.kind,
                self.dtype,
                w,
                b,
                ROW_PER_THREAD_WG,
            ),
            &header,
            &norm_bindings(w, b, "T"),
            NORM,
            self.dtype,
        ))
    }

    /// Every variant: each norm we define, in f32 and f16.
    pub fn all() -> Vec<NormPerThreadSpec> {
        DType::FLOATS
            .into_iter()
            .flat_map(|dtype| {
                norm_forms()
                    .into_iter()
                    .map(move |(kind, has_weight, has_bias)| NormPerThreadSpec {
                        kind,
                        dtype,
                        has_weight,
                        has_bias,
                    })
            })
            .collect()
    }
}

/// Layer norm or RMS norm along the last axis on vec4s, with optional weight
/// and (layer norm only) bias. Bindings: x, [w], [b], y, all `array<vec4<T>>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NormVec4Spec {
    /// Which norm.
    pub kind: NormKind,
    /// Storage type.
    pub dtype: DType,
    /// Whether a weight binding is present.
    pub has_weight: bool,
    /// Whether a bias binding is present (layer norm only).
    pub has_bias: bool,
    /// Threads per workgroup (a power of two, 32..=256; see [`crate::row_vec4_wg_for`]).
    pub wg: u32,
    /// Subgroup reductions (the adapter must have subgroups) instead of a tree.
    pub subgroups: bool,
}

impl NormVec4Spec {
    /// Render the kernel; `None` for RMS norm with a bias, which is not a norm we define.
    pub fn render(&self) -> Option<KernelSource> {
        if self.kind == NormKind::Rms && self.has_bias {
            return None;
        }
        let weight = if self.has_weight {
            "vec4<f32>(w[p.w_off / 4u + j])"
        } else {
            "vec4<f32>(1.0)"
        };
        let bias = if self.has_bias {
            "vec4<f32>(b[p.b_off / 4u + j])"
        } else {
            "vec4<f32>(0.0)"
        };
        let header = format!(
            "{}const KIND_LAYER: bool = {};\nfn weight4(j: u32) -> vec4<f32> {{ return {weight}; }}\nfn bias4(j: u32) -> vec4<f32> {{ return {bias}; }}\n",
            header(self.dtype, self.wg),
            self.kind == NormKind::Layer
        );
        let (w, b) = (self.has_weight, self.has_bias);
        Some(row_vec4_kernel::<NormParams>(
            norm_key("norm_vec4", self.kind, self.dtype, w, b, self.wg),
            &header,
            &norm_bindings(w, b, "vec4<T>"),
            NORM_VEC4,
            (self.dtype, self.wg, self.subgroups),
        ))
    }

    /// Whether the kernel needs subgroup operations.
    pub fn needs_subgroups(&self) -> bool {
        self.subgroups
    }

    /// Every variant: each norm we define, in f32 and f16, each workgroup
    /// size, tree and subgroup reductions.
    pub fn all() -> Vec<NormVec4Spec> {
        row_vec4_choices()
            .flat_map(|(dtype, wg, subgroups)| {
                norm_forms()
                    .into_iter()
                    .map(move |(kind, has_weight, has_bias)| NormVec4Spec {
                        kind,
                        dtype,
                        has_weight,
                        has_bias,
                        wg,
                        subgroups,
                    })
            })
            .collect()
    }
}
