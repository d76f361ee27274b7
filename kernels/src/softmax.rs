//! Softmax along the last axis with an optional broadcast mask: the general
//! kernel (any row), the per-thread kernel (the general body, one invocation
//! per row) and the vec4 kernel (rows and offsets multiples of 4, tree or
//! subgroup reductions).

use crate::assemble::{fixed_kernel, strided_helpers, Binding};
use crate::grid::MAX_RANK;
use crate::params::uniform_params;
use crate::row_per_thread::{per_thread_header, row_per_thread_kernel};
use crate::row_vec4::{header, row_vec4_choices, row_vec4_kernel};
use crate::rowwise::{row_choices, wg_header, ROW_COMMON, ROW_ENTRY};
use crate::{DType, KernelSource};

const SOFTMAX: &str = include_str!("wgsl/softmax.wgsl");
/// The mask addressing of softmax, shared by its general and vec4 kernels.
const SOFTMAX_COMMON: &str = include_str!("wgsl/softmax_common.wgsl");
const SOFTMAX_VEC4: &str = include_str!("wgsl/softmax_vec4.wgsl");

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

/// `mask_at(row, j)` of the scalar kernels (general and per-thread): the
/// mask's value at column `j` of the mask row starting at `row`, or 0.
fn scalar_mask_fn(masked: bool) -> &'static str {
    if masked {
        "fn mask_at(row: u32, j: u32) -> f32 { return f32(mask[row + j * mask_col_stride()]); }\n"
    } else {
        "fn mask_at(row: u32, j: u32) -> f32 { return 0.0; }\n"
    }
}

/// "mask" or "plain", for kernel keys.
fn mask_key(masked: bool) -> &'static str {
    if masked {
        "mask"
    } else {
        "plain"
    }
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
        let mask_fn = scalar_mask_fn(self.masked);
        let header = softmax_header(&wg_header(self.dtype, self.wg), self.masked, mask_fn);
        let key = format!(
            "softmax/{}/{}/wg{}",
            mask_key(self.masked),
            self.dtype,
            self.wg
        );
        fixed_kernel::<SoftmaxParams>(
            key,
            &format!("{header}{ROW_COMMON}{ROW_ENTRY}"),
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

/// Stable softmax along the last axis, optionally of `x + mask`, one
/// invocation per row ([`crate::ROW_PER_THREAD_WG`] rows per workgroup, no
/// barrier): for short rows on software adapters. Rows whose every value is
/// -inf give zeros. Bindings: x, [mask], y. Grid:
/// [`crate::row_per_thread_workgroups`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SoftmaxPerThreadSpec {
    /// Storage type of x, mask and y.
    pub dtype: DType,
    /// Whether a mask binding is present.
    pub masked: bool,
}

impl SoftmaxPerThreadSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let mask_fn = scalar_mask_fn(self.masked);
        row_per_thread_kernel::<SoftmaxParams>(
            format!(
                "softmax_per_thread/{}/{}",
                mask_key(self.masked),
                self.dtype
            ),
            &softmax_header(&per_thread_header(self.dtype), self.masked, mask_fn),
            &softmax_bindings(self.masked, "T"),
            SOFTMAX,
            self.dtype,
        )
    }

    /// Every variant: f32 and f16, with and without a mask.
    pub fn all() -> Vec<SoftmaxPerThreadSpec> {
        DType::FLOATS
            .into_iter()
            .flat_map(|dtype| [false, true].map(|masked| SoftmaxPerThreadSpec { dtype, masked }))
            .collect()
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
        let mask_fn = if self.masked {
            "fn mask4(row: u32, j4: u32) -> vec4<f32> { let s = mask_col_stride(); let i = row + 4u * j4 * s; return vec4<f32>(f32(mask[i]), f32(mask[i + s]), f32(mask[i + 2u * s]), f32(mask[i + 3u * s])); }\n"
        } else {
            "fn mask4(row: u32, j4: u32) -> vec4<f32> { return vec4<f32>(0.0); }\n"
        };
        let key = format!(
            "softmax_vec4/{}/{}/wg{}",
            mask_key(self.masked),
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
