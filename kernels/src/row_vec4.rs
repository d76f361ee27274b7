//! What the vec4 row kernels share (softmax, layer norm and RMS norm over rows
//! whose length and operand offsets are multiples of 4, one workgroup per row,
//! with either shared-memory tree reductions or subgroup reductions); the specs
//! are `SoftmaxVec4Spec` (`softmax.rs`) and `NormVec4Spec` (`norm.rs`).
//!
//! They take the same parameters as the general kernels ([`SoftmaxParams`],
//! [`NormParams`], offsets in elements) and the same grid
//! ([`crate::rowwise_workgroups`]). The host must check
//! [`crate::row_vec4_fits`] for the row length and the x, y, weight and bias
//! offsets (the softmax mask is read as scalars and needs no alignment), and
//! must only render a subgroup variant for an adapter with subgroups.

use crate::assemble::{fixed_kernel, Binding};
use crate::row_variant::ROW_VEC4_PER_THREAD;
use crate::rowwise::{row_choices, wg_header, ROW_COMMON, ROW_ENTRY};
use crate::{DType, KernelSource, UniformParams};

const ROW_COMMON_SUBGROUP: &str = include_str!("wgsl/row_common_subgroup.wgsl");
const ROW_VEC4_COMMON: &str = include_str!("wgsl/row_vec4_common.wgsl");

pub(crate) fn header(dtype: DType, wg: u32) -> String {
    format!(
        "{}const VPT: u32 = {ROW_VEC4_PER_THREAD}u;\n",
        wg_header(dtype, wg)
    )
}

/// Every (storage type, workgroup size, subgroup reductions) the vec4 row
/// kernels render.
pub(crate) fn row_vec4_choices() -> impl Iterator<Item = (DType, u32, bool)> {
    row_choices().flat_map(|(dtype, wg)| [false, true].map(|sg| (dtype, wg, sg)))
}

/// A vec4 row kernel: `header`, then the reductions and entry point (tree or
/// subgroup) and the vec4 helpers, then `body`.
pub(crate) fn row_vec4_kernel<P: UniformParams>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SoftmaxVec4Spec;

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
