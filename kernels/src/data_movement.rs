//! Data movement kernels: strided copy, dtype cast, gather (embedding lookup).

use crate::assemble::{linear_kernel, DEFAULT_WG};
use crate::float_math::max_rank_const;
use crate::grid::MAX_RANK;
use crate::{dtype_header, BindingKind, DType, KernelSource};

const COPY: &str = include_str!("wgsl/copy.wgsl");
const CAST: &str = include_str!("wgsl/cast.wgsl");
const GATHER: &str = include_str!("wgsl/gather.wgsl");

/// Parameters of the strided copy.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct CopyParams {
    /// Elements to copy.
    pub n: u32,
    /// Rank of `shape` (<= 8).
    pub rank: u32,
    /// Source offset.
    pub x_off: u32,
    /// Destination offset.
    pub out_off: u32,
    /// The index space.
    pub shape: [u32; MAX_RANK],
    /// Source strides.
    pub x_strides: [u32; MAX_RANK],
    /// Destination strides.
    pub out_strides: [u32; MAX_RANK],
}

/// Strided copy of any dtype. Bindings: x (read), out (write).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CopySpec {
    /// Element type.
    pub dtype: DType,
}

impl CopySpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        linear_kernel(
            format!("copy/{}/wg{DEFAULT_WG}", self.dtype),
            &format!("{}{}", dtype_header(self.dtype), max_rank_const()),
            COPY,
            vec![BindingKind::ReadOnly, BindingKind::ReadWrite],
            std::mem::size_of::<CopyParams>(),
            DEFAULT_WG,
            self.dtype == DType::F16,
        )
    }
}

/// Parameters of the cast kernel (contiguous ranges).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct CastParams {
    /// Elements.
    pub n: u32,
    /// Source offset.
    pub x_off: u32,
    /// Destination offset.
    pub y_off: u32,
    /// Padding.
    pub pad0: u32,
}

/// Convert between dtypes (float to int truncates toward zero, saturating).
/// Bindings: x (read, `from`), y (write, `to`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CastSpec {
    /// Source type.
    pub from: DType,
    /// Destination type.
    pub to: DType,
}

impl CastSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let needs_f16 = self.from == DType::F16 || self.to == DType::F16;
        let header = format!(
            "{}alias S = {};\nalias D = {};\nfn convert(v: S) -> D {{ return D(v); }}\n",
            if needs_f16 { "enable f16;\n" } else { "" },
            self.from.wgsl_name(),
            self.to.wgsl_name()
        );
        linear_kernel(
            format!("cast/{}/{}/wg{DEFAULT_WG}", self.from, self.to),
            &header,
            CAST,
            vec![BindingKind::ReadOnly, BindingKind::ReadWrite],
            std::mem::size_of::<CastParams>(),
            DEFAULT_WG,
            needs_f16,
        )
    }
}

/// Parameters of the gather kernel.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GatherParams {
    /// Output elements (ids × cols).
    pub n: u32,
    /// Row width of the table.
    pub cols: u32,
    /// Rows of the table.
    pub rows: u32,
    /// Table offset.
    pub table_off: u32,
    /// Ids offset.
    pub ids_off: u32,
    /// Output offset.
    pub out_off: u32,
    /// Padding.
    pub pad: [u32; 2],
}

/// Row lookup `out[r] = table[ids[r]]`. Bindings: table (read), ids (read, u32 or
/// i32), out (write).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GatherSpec {
    /// Table element type.
    pub dtype: DType,
    /// Id type: U32 or I32.
    pub index_dtype: DType,
}

impl GatherSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let check = match self.index_dtype {
            DType::I32 => {
                "fn in_table(id: I, rows: u32) -> bool { return id >= 0 && u32(id) < rows; }\n"
            }
            _ => "fn in_table(id: I, rows: u32) -> bool { return id < rows; }\n",
        };
        let index = if self.index_dtype == DType::I32 {
            "i32"
        } else {
            "u32"
        };
        let header = format!("{}alias I = {index};\n{check}", dtype_header(self.dtype));
        linear_kernel(
            format!("gather/{}/{index}/wg{DEFAULT_WG}", self.dtype),
            &header,
            GATHER,
            vec![
                BindingKind::ReadOnly,
                BindingKind::ReadOnly,
                BindingKind::ReadWrite,
            ],
            std::mem::size_of::<GatherParams>(),
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
    fn every_data_movement_variant_validates() {
        let all = [DType::F32, DType::F16, DType::I32, DType::U32];
        let mut sources: Vec<KernelSource> = all
            .iter()
            .map(|&dtype| CopySpec { dtype }.render())
            .collect();
        for from in all {
            for to in all {
                if from != to {
                    sources.push(CastSpec { from, to }.render());
                }
            }
        }
        for dtype in [DType::F32, DType::F16] {
            for index_dtype in [DType::U32, DType::I32] {
                sources.push(GatherSpec { dtype, index_dtype }.render());
            }
        }
        let mut keys = HashSet::new();
        for src in sources {
            check_kernel(&src);
            assert!(keys.insert(src.key.clone()), "duplicate key {}", src.key);
        }
        for size in [
            std::mem::size_of::<CopyParams>(),
            std::mem::size_of::<CastParams>(),
            std::mem::size_of::<GatherParams>(),
        ] {
            assert_eq!(size % 16, 0);
        }
    }
}

/// Parameters of [`CopyVec4Spec`] (elements, not vec4s).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct CopyVec4Params {
    /// Elements to copy (a multiple of 4).
    pub n: u32,
    /// Offset of x (a multiple of 4).
    pub x_off: u32,
    /// Offset of y (a multiple of 4).
    pub y_off: u32,
    /// Padding.
    pub pad0: u32,
}

/// Bit-exact copy of a contiguous, vec4-aligned range: one vec4 per thread.
/// Bindings: x (read), y (write). Grid: [`crate::elementwise_workgroups`] of `n / 4`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CopyVec4Spec {
    /// Element type (any: the copy moves bits).
    pub dtype: DType,
}

impl CopyVec4Spec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        linear_kernel(
            format!("copy_vec4/{}", self.dtype),
            &dtype_header(self.dtype),
            include_str!("wgsl/copy_vec4.wgsl"),
            vec![BindingKind::ReadOnly, BindingKind::ReadWrite],
            std::mem::size_of::<CopyVec4Params>(),
            DEFAULT_WG,
            self.dtype == DType::F16,
        )
    }
}

#[cfg(test)]
mod copy_vec4_tests {
    use super::*;
    use crate::naga_check::check_kernel;

    #[test]
    fn copy_vec4_validates_for_every_dtype() {
        for dtype in [DType::F32, DType::F16, DType::I32, DType::U32] {
            let src = CopyVec4Spec { dtype }.render();
            check_kernel(&src);
            assert_eq!(src.key, format!("copy_vec4/{dtype}"));
        }
    }
}
