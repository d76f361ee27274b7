//! Data movement kernels: strided copy, dtype cast, gather (embedding lookup).

use crate::assemble::{linear_kernel, strided_helpers, Binding, DEFAULT_WG};
use crate::grid::MAX_RANK;
use crate::params::uniform_params;
use crate::{dtype_header, DType, KernelSource};

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

uniform_params!(CopyParams = include_str!("wgsl/copy_params.wgsl");
    n, rank, x_off, out_off, shape, x_strides, out_strides);

/// Strided copy of any dtype. Bindings: x (read), out (write).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CopySpec {
    /// Element type.
    pub dtype: DType,
}

impl CopySpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        const BINDINGS: [Binding; 2] = [Binding::read("x", "T"), Binding::read_write("out", "T")];
        linear_kernel::<CopyParams>(
            format!("copy/{}/wg{DEFAULT_WG}", self.dtype),
            &format!("{}{}", dtype_header(self.dtype), strided_helpers()),
            &BINDINGS,
            COPY,
            self.dtype == DType::F16,
        )
    }

    /// Every variant: every dtype.
    pub fn all() -> Vec<CopySpec> {
        DType::ALL.map(|dtype| CopySpec { dtype }).to_vec()
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

uniform_params!(CastParams = include_str!("wgsl/range_params.wgsl"); n, x_off, y_off, pad0);

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
        const BINDINGS: [Binding; 2] = [Binding::read("x", "S"), Binding::read_write("y", "D")];
        linear_kernel::<CastParams>(
            format!("cast/{}/{}/wg{DEFAULT_WG}", self.from, self.to),
            &header,
            &BINDINGS,
            CAST,
            needs_f16,
        )
    }

    /// Every variant: every pair of distinct dtypes.
    pub fn all() -> Vec<CastSpec> {
        DType::ALL
            .into_iter()
            .flat_map(|from| DType::ALL.map(|to| CastSpec { from, to }))
            .filter(|c| c.from != c.to)
            .collect()
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

uniform_params!(GatherParams = include_str!("wgsl/gather_params.wgsl");
    n, cols, rows, table_off, ids_off, out_off, pad);

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
        const BINDINGS: [Binding; 3] = [
            Binding::read("table", "T"),
            Binding::read("ids", "I"),
            Binding::read_write("out", "T"),
        ];
        linear_kernel::<GatherParams>(
            format!("gather/{}/{index}/wg{DEFAULT_WG}", self.dtype),
            &header,
            &BINDINGS,
            GATHER,
            self.dtype == DType::F16,
        )
    }

    /// Every variant: f32 and f16 tables, u32 and i32 ids.
    pub fn all() -> Vec<GatherSpec> {
        DType::FLOATS
            .into_iter()
            .flat_map(|dtype| {
                [DType::U32, DType::I32].map(|index_dtype| GatherSpec { dtype, index_dtype })
            })
            .collect()
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

uniform_params!(CopyVec4Params = include_str!("wgsl/range_params.wgsl"); n, x_off, y_off, pad0);

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
        const BINDINGS: [Binding; 2] = [
            Binding::read("x", "vec4<T>"),
            Binding::read_write("y", "vec4<T>"),
        ];
        linear_kernel::<CopyVec4Params>(
            format!("copy_vec4/{}", self.dtype),
            &dtype_header(self.dtype),
            &BINDINGS,
            include_str!("wgsl/copy_vec4.wgsl"),
            self.dtype == DType::F16,
        )
    }

    /// Every variant: every dtype.
    pub fn all() -> Vec<CopyVec4Spec> {
        DType::ALL.map(|dtype| CopyVec4Spec { dtype }).to_vec()
    }
}
