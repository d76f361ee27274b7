//! vec4 row kernels: softmax, layer norm and RMS norm over rows whose length
//! and operand offsets are multiples of 4, one workgroup per row, with either
//! shared-memory tree reductions or subgroup reductions.
//!
//! They take the same parameters as the general kernels ([`SoftmaxParams`],
//! [`NormParams`], offsets in elements) and the same grid
//! ([`crate::rowwise_workgroups`]). The host must check
//! [`crate::row_vec4_fits`] for the row length and the x, y, weight and bias
//! offsets (the softmax mask is read as scalars and needs no alignment), and
//! must only render a subgroup variant for an adapter with subgroups.

use crate::assemble::{fixed_kernel, Binding};
use crate::row_variant::ROW_VEC4_PER_THREAD;
use crate::rowwise::{
    norm_bindings, norm_forms, norm_key, row_choices, softmax_bindings, softmax_header, wg_header,
    ROW_COMMON,
};
use crate::{DType, KernelSource, NormKind, NormParams, SoftmaxParams, UniformParams};

const ROW_ENTRY: &str = include_str!("wgsl/row_entry.wgsl");
const ROW_COMMON_SUBGROUP: &str = include_str!("wgsl/row_common_subgroup.wgsl");
const ROW_VEC4_COMMON: &str = include_str!("wgsl/row_vec4_common.wgsl");
const SOFTMAX_VEC4: &str = include_str!("wgsl/softmax_vec4.wgsl");
const NORM_VEC4: &str = include_str!("wgsl/norm_vec4.wgsl");

fn header(dtype: DType, wg: u32) -> String {
    format!(
        "{}const VPT: u32 = {ROW_VEC4_PER_THREAD}u;\n",
        wg_header(dtype, wg)
    )
}

/// Every (storage type, workgroup size, subgroup reductions) the vec4 row
/// kernels render.
fn row_vec4_choices() -> impl Iterator<Item = (DType, u32, bool)> {
    row_choices().flat_map(|(dtype, wg)| [false, true].map(|sg| (dtype, wg, sg)))
}

/// A vec4 row kernel: `header`, then the reductions and entry point (tree or
/// subgroup) and the vec4 helpers, then `body`.
fn row_vec4_kernel<P: UniformParams>(
    key: String,
    header: &str,
    bindings: &[Binding],
    body: &str,
    (dtype, wg, subgroups): (DType, u32, bool),
) -> KernelSource {
    let (reductions, entry, name) = if subgroups {
        (ROW_COMMON_SUBGROUP, "", "sg")
    } else {
        (ROW_COMMON, ROW_ENTRY, "tree")
    };
    fixed_kernel::<P>(
        format!("{key}/{name}"),
        &format!("{header}{reductions}{entry}{ROW_VEC4_COMMON}"),
        bindings,
        body,
        [wg, 1, 1],
        dtype == DType::F16,
    )
}

/// Stable softmax along the last axis on vec4s, optionally of `x + mask`; rows
/// whose every value is -inf give zeros. Bindings: x, [mask], y (x and y as
/// `array<vec4<T>>`, the mask as `array<T>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SoftmaxVec4Spec {
    /// Storage type of x, mask and y.
    pub dtype: DType,
    /// Whether a mask binding is present.
    pub masked: bool,
    /// Threads per workgroup (a power of two, 32..=256; see [`crate::row_vec4_wg_for`]).
    pub wg: u32,
    /// Subgroup reductions (the adapter must have subgroups) instead of a tree.
    pub subgroups: bool,
}

impl SoftmaxVec4Spec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let mask_fn = if self.masked {
            "fn mask4(row: u32, j4: u32) -> vec4<f32> { let s = mask_col_stride(); let i = row + 4u * j4 * s; return vec4<f32>(f32(mask[i]), f32(mask[i + s]), f32(mask[i + 2u * s]), f32(mask[i + 3u * s])); }\n"
        } else {
            "fn mask4(row: u32, j4: u32) -> vec4<f32> { return vec4<f32>(0.0); }\n"
        };
        let key = format!(
            "softmax_vec4/{}/{}/wg{}",
            if self.masked { "mask" } else { "plain" },
            self.dtype,
            self.wg,
        );
        row_vec4_kernel::<SoftmaxParams>(
            key,
            &softmax_header(&header(self.dtype, self.wg), self.masked, mask_fn),
            &softmax_bindings(self.masked, "vec4<T>"),
            SOFTMAX_VEC4,
            (self.dtype, self.wg, self.subgroups),
        )
    }

    /// Whether the kernel needs subgroup operations.
    pub fn needs_subgroups(&self) -> bool {
        self.subgroups
    }

    /// Every variant: f32 and f16, with and without a mask, each workgroup
    /// size, tree and subgroup reductions.
    pub fn all() -> Vec<SoftmaxVec4Spec> {
        row_vec4_choices()
            .flat_map(|(dtype, wg, subgroups)| {
                [false, true].map(|masked| SoftmaxVec4Spec {
                    dtype,
                    masked,
                    wg,
                    subgroups,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "validation error")]
    fn subgroup_variant_needs_the_subgroup_capability() {
        let src = SoftmaxVec4Spec {
            dtype: DType::F32,
            masked: false,
            wg: 64,
            subgroups: true,
        }
        .render();
        crate::naga_check::check_kernel(&src);
    }
}
