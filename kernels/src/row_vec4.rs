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
//!
//! [`SoftmaxParams`]: crate::SoftmaxParams
//! [`NormParams`]: crate::NormParams

use crate::assemble::fixed_kernel;
use crate::row_variant::ROW_VEC4_PER_THREAD;
use crate::rowwise::{wg_header, SOFTMAX_COMMON};
use crate::{BindingKind, DType, KernelSource, NormKind};

const ROW_COMMON: &str = include_str!("wgsl/row_common.wgsl");
const ROW_ENTRY: &str = include_str!("wgsl/row_entry.wgsl");
const ROW_COMMON_SUBGROUP: &str = include_str!("wgsl/row_common_subgroup.wgsl");
const ROW_VEC4_COMMON: &str = include_str!("wgsl/row_vec4_common.wgsl");
const SOFTMAX_VEC4: &str = include_str!("wgsl/softmax_vec4.wgsl");
const NORM_VEC4: &str = include_str!("wgsl/norm_vec4.wgsl");

/// The reductions and entry point: tree (portable) or subgroup.
fn reductions(subgroups: bool) -> String {
    if subgroups {
        ROW_COMMON_SUBGROUP.to_string()
    } else {
        format!("{ROW_COMMON}{ROW_ENTRY}")
    }
}

fn header(dtype: DType, wg: u32) -> String {
    format!(
        "{}const VPT: u32 = {ROW_VEC4_PER_THREAD}u;\n",
        wg_header(dtype, wg)
    )
}

fn reduction_name(subgroups: bool) -> &'static str {
    if subgroups {
        "sg"
    } else {
        "tree"
    }
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
        let (decls, mask_fn, bindings) = if self.masked {
            (
                "@group(0) @binding(1) var<storage, read> mask: array<T>;\n@group(0) @binding(2) var<storage, read_write> y: array<vec4<T>>;\n@group(0) @binding(3) var<uniform> p: Params;\n",
                "fn mask4(row: u32, j4: u32) -> vec4<f32> { let k = clamp(p.rank, 1u, 8u) - 1u; let s = p.m_strides[k / 4u][k % 4u]; let i = row + 4u * j4 * s; return vec4<f32>(f32(mask[i]), f32(mask[i + s]), f32(mask[i + 2u * s]), f32(mask[i + 3u * s])); }\n",
                vec![BindingKind::ReadOnly, BindingKind::ReadOnly, BindingKind::ReadWrite],
            )
        } else {
            (
                "@group(0) @binding(1) var<storage, read_write> y: array<vec4<T>>;\n@group(0) @binding(2) var<uniform> p: Params;\n",
                "fn mask4(row: u32, j4: u32) -> vec4<f32> { return vec4<f32>(0.0); }\n",
                vec![BindingKind::ReadOnly, BindingKind::ReadWrite],
            )
        };
        let header = format!(
            "{}const HAS_MASK: bool = {};\n{decls}{mask_fn}",
            header(self.dtype, self.wg),
            self.masked
        );
        let key = format!(
            "softmax_vec4/{}/{}/wg{}/{}",
            if self.masked { "mask" } else { "plain" },
            self.dtype,
            self.wg,
            reduction_name(self.subgroups)
        );
        fixed_kernel(
            key,
            &format!("{header}{}{ROW_VEC4_COMMON}", reductions(self.subgroups)),
            &format!("{SOFTMAX_COMMON}{SOFTMAX_VEC4}"),
            bindings,
            std::mem::size_of::<crate::SoftmaxParams>(),
            [self.wg, 1, 1],
            self.dtype == DType::F16,
        )
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
        let mut decls = String::new();
        let mut bindings = vec![BindingKind::ReadOnly];
        for (name, present) in [("w", self.has_weight), ("b", self.has_bias)] {
            if present {
                decls.push_str(&format!(
                    "@group(0) @binding({}) var<storage, read> {name}: array<vec4<T>>;\n",
                    bindings.len()
                ));
                bindings.push(BindingKind::ReadOnly);
            }
        }
        decls.push_str(&format!(
            "@group(0) @binding({}) var<storage, read_write> y: array<vec4<T>>;\n@group(0) @binding({}) var<uniform> p: Params;\n",
            bindings.len(),
            bindings.len() + 1
        ));
        bindings.push(BindingKind::ReadWrite);
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
            "{}const KIND_LAYER: bool = {};\n{decls}fn weight4(j: u32) -> vec4<f32> {{ return {weight}; }}\nfn bias4(j: u32) -> vec4<f32> {{ return {bias}; }}\n",
            header(self.dtype, self.wg),
            self.kind == NormKind::Layer
        );
        let key = format!(
            "norm_vec4/{}/{}/w{}/b{}/wg{}/{}",
            if self.kind == NormKind::Layer {
                "layer"
            } else {
                "rms"
            },
            self.dtype,
            self.has_weight as u8,
            self.has_bias as u8,
            self.wg,
            reduction_name(self.subgroups)
        );
        Some(fixed_kernel(
            key,
            &format!("{header}{}{ROW_VEC4_COMMON}", reductions(self.subgroups)),
            NORM_VEC4,
            bindings,
            std::mem::size_of::<crate::NormParams>(),
            [self.wg, 1, 1],
            self.dtype == DType::F16,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naga_check::check_kernel_with;
    use std::collections::HashSet;

    #[test]
    fn every_vec4_row_variant_validates() {
        let mut keys = HashSet::new();
        for dtype in [DType::F32, DType::F16] {
            for wg in [32, 64, 128, 256] {
                for subgroups in [false, true] {
                    let mut sources: Vec<KernelSource> = [false, true]
                        .map(|masked| {
                            SoftmaxVec4Spec {
                                dtype,
                                masked,
                                wg,
                                subgroups,
                            }
                            .render()
                        })
                        .to_vec();
                    for kind in [NormKind::Layer, NormKind::Rms] {
                        for (has_weight, has_bias) in
                            [(false, false), (true, false), (false, true), (true, true)]
                        {
                            let spec = NormVec4Spec {
                                kind,
                                dtype,
                                has_weight,
                                has_bias,
                                wg,
                                subgroups,
                            };
                            match spec.render() {
                                Some(src) => sources.push(src),
                                None => assert!(kind == NormKind::Rms && has_bias),
                            }
                        }
                    }
                    for src in sources {
                        // Tree variants must validate without the subgroup capability.
                        check_kernel_with(&src, subgroups);
                        assert!(keys.insert(src.key.clone()), "duplicate key {}", src.key);
                    }
                }
            }
        }
    }

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
