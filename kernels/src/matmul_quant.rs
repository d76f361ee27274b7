//! Matmul against a GGML-quantized weight that stays quantized on the device:
//! `out [m, n] = x [m, k] · Wᵀ` with `W` an `n x k` matrix in one of the
//! [`QuantFormat`]s (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q6_K, F16, BF16; its docs
//! give the device layout). The
//! kernels walk 32-value blocks in every format (a K super-block is 8 of
//! them); the blocks are dequantized inside the kernels and everything
//! accumulates in f32.
//!
//! Two kernels ([`QuantKernel`]; the runtime's matmul plan picks one):
//! - [`QuantMatvecSpec`] for a few rows (decoding): split-k over blocks inside a
//!   workgroup, each block unpacked once for all rows, a tree reduction in
//!   workgroup memory (`wgsl/matvec_quant.wgsl`); on software adapters two
//!   columns per lane with x shared by subgroup broadcasts, rows and columns
//!   unrolled (`matvec_quant_subgroup.rs`).
//! - [`QuantTiledSpec`] for many rows (prompt processing): 64x64 output tiles,
//!   a dequantized tile of W staged in workgroup memory, register blocks of
//!   4x4 per thread for GPUs ([`QuantTile::Wide`], `wgsl/matmul_quant.wgsl`) or 8x8
//!   for software adapters ([`QuantTile::Fat`], `wgsl/matmul_quant_fat.wgsl`:
//!   the dense 8x8 tile's main loop, `wgsl/matmul_tile.wgsl`, with a
//!   dequantizing load of W).
//!
//! Bindings of every kernel: x (read, `vec4<T>`), qs (read, `vec4<u32>`), scales (read,
//! `u32`), out (write, `T`), then the [`QuantMatmulParams`] uniform; the matvec
//! kernel's residual form ([`QuantMatvecSpec::residual`]) binds the residual
//! (read, `T`) before the uniform and adds it in the store. The host
//! proves: x contiguous with `x_off % 4 == 0`, `k` a positive multiple of the
//! format's [group](QuantFormat::group_values) (32, or 256 for the K formats),
//! `blocks = k / 32`, and the grid from [`quant_grid`]. Workgroups are numbered
//! linearly over a 2-D grid ([`crate::grid`]), so no dimension cap applies to
//! `n` or `m`.

use crate::assemble::{fixed_kernel, Binding};
use crate::grid::grid_for_workgroups;
use crate::matvec_quant_subgroup::subgroup_body;
use crate::params::uniform_params;
use crate::{dtype_header, DType, KernelSource, QuantFormat};

const MATVEC_QUANT: &str = include_str!("wgsl/matvec_quant.wgsl");
const MATMUL_QUANT: &str = include_str!("wgsl/matmul_quant.wgsl");
/// The fat tile: the dense 8x8 tile's main loop (`matmul_tile.wgsl`) with
/// loads of x and of dequantized W quads.
const MATMUL_QUANT_FAT: &str = concat!(
    include_str!("wgsl/matmul_tile.wgsl"),
    include_str!("wgsl/matmul_quant_fat.wgsl")
);

/// Largest row count the runtime gives to the matvec kernel automatically.
pub const QUANT_MATVEC_MAX_M: usize = 8;

/// Largest matvec workgroup.
pub const QUANT_MATVEC_MAX_WG: u32 = 256;

/// Subgroup lanes the software-adapter matvec form assumes (one block of x is
/// shared by 8 lanes); see [`QuantMatvecSpec::subgroup_x`].
pub const QUANT_MATVEC_SUBGROUP_LANES: u32 = 8;

/// Output columns each lane of the software-adapter matvec form computes
/// ([`QuantMatvecSpec::subgroup_x`]): each x load and broadcast serves both
/// columns' blocks, which on lavapipe made 8 rows of `896 x 9728` run in about
/// half the time of one column per lane (BENCHMARKS.md).
pub const QUANT_MATVEC_SOFTWARE_COLUMNS: u32 = 2;

/// Output rows and columns of one [`QuantTiledSpec`] workgroup.
pub const QUANT_TILE: u32 = 64;

/// Parameters of the quantized matmuls (mirrored by `wgsl/q_params.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct QuantMatmulParams {
    /// Rows of x and out.
    pub m: u32,
    /// Rows of W: columns of out.
    pub n: u32,
    /// Columns of x and W (a multiple of the format's group: 32 or 256).
    pub k: u32,
    /// Blocks per row of W: `k / 32`.
    pub blocks: u32,
    /// Offset of x in elements (a multiple of 4).
    pub x_off: u32,
    /// Offset of out in elements.
    pub out_off: u32,
    /// Column groups of the grid ([`QuantGrid::col_groups`]).
    pub col_groups: u32,
    /// Workgroups with work ([`QuantGrid::groups`]).
    pub groups: u32,
}

uniform_params!(QuantMatmulParams = include_str!("wgsl/q_params.wgsl");
    m, n, k, blocks, x_off, out_off, col_groups, groups);

/// x, qs, scales (read), out (write): the bindings of every quantized matmul.
const QUANT_BINDINGS: [Binding; 4] = [
    Binding::read("x", "vec4<T>"),
    Binding::read("qs", "vec4<u32>"),
    Binding::read("scales", "u32"),
    Binding::read_write("out", "T"),
];

/// Thread layout of the tiled kernel (both cover a [`QUANT_TILE`]² tile).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QuantTile {
    /// 16x16 threads of 4x4 outputs: for GPUs.
    Wide,
    /// 8x8 threads of 8x8 outputs: for software adapters, which pay per
    /// SIMD chunk of invocations at every barrier.
    Fat,
}

/// Which kernel computes a product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QuantKernel {
    /// [`QuantMatvecSpec`]: a few rows.
    Matvec,
    /// [`QuantTiledSpec`] with this tile: many rows.
    Tiled(QuantTile),
    /// No quantized kernel: the weight dequantized to f32 ([`QuantGatherSpec`]
    /// over every row), then the dense matmul. Many rows on a software adapter,
    /// where the dense kernels are about 3x faster than the tiled ones and
    /// the temporary f32 copy is cheap beside the product.
    ///
    /// [`QuantGatherSpec`]: crate::QuantGatherSpec
    Dequantized,
}

impl QuantKernel {
    /// Every kernel.
    pub const ALL: [QuantKernel; 4] = [
        QuantKernel::Matvec,
        QuantKernel::Tiled(QuantTile::Wide),
        QuantKernel::Tiled(QuantTile::Fat),
        QuantKernel::Dequantized,
    ];
}

/// The dispatch of a quantized matmul: `groups = col_groups * row_groups`
/// workgroups, numbered linearly over `workgroups`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantGrid {
    /// Workgroups along n.
    pub col_groups: u32,
    /// Workgroups with work.
    pub groups: u32,
    /// The 2-D grid covering `groups` (see [`crate::grid`]).
    pub workgroups: [u32; 3],
}

/// The grid for an `m x n` output covered `rows x cols` per workgroup; `None`
/// when it exceeds the dispatch limits or 32-bit workgroup ids.
pub fn quant_grid(m: usize, n: usize, rows: u32, cols: u32) -> Option<QuantGrid> {
    let col_groups = n.div_ceil(cols.max(1) as usize) as u64;
    let row_groups = m.div_ceil(rows.max(1) as usize) as u64;
    let groups = col_groups.checked_mul(row_groups)?;
    Some(QuantGrid {
        col_groups: u32::try_from(col_groups).ok()?,
        groups: u32::try_from(groups).ok()?,
        workgroups: grid_for_workgroups(groups)?,
    })
}

/// The split-k matvec kernel. Bindings and parameters: see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QuantMatvecSpec {
    /// Block format of W.
    pub format: QuantFormat,
    /// Storage type of x and out (f32 or f16).
    pub dtype: DType,
    /// Rows of x per workgroup, 1 to 8 (more rows take more row groups).
    pub rows: u32,
    /// Threads per workgroup: a power of two up to [`QUANT_MATVEC_MAX_WG`].
    pub wg: u32,
    /// Lanes sharing one output column's blocks: a power of two up to `wg`.
    pub split: u32,
    /// Add a residual to the output in the store (`out = x · Wᵀ + residual`):
    /// one more binding, the residual (read, `T`, contiguous `m x n` at offset
    /// 0), between out and the parameters.
    pub residual: bool,
    /// The software-adapter form (`matvec_quant_subgroup.rs`):
    /// [`QUANT_MATVEC_SOFTWARE_COLUMNS`] columns per lane, x shared by
    /// subgroup broadcasts. Needs `split == 1` and an adapter whose subgroups
    /// have at least 8 lanes.
    pub subgroup_x: bool,
}

impl QuantMatvecSpec {
    /// A spec for `m x k · (n x k)ᵀ`: `rows` covers m (rounded up to a power of
    /// two, at most 8), 256 threads, and a split that leaves each lane about
    /// four blocks of its column (at most 32 lanes per column). `n` does not
    /// enter the choice yet.
    pub fn for_shape(format: QuantFormat, dtype: DType, m: usize, _n: usize, k: usize) -> Self {
        let rows = (m.clamp(1, QUANT_MATVEC_MAX_M) as u32).next_power_of_two();
        let blocks = k / format.block_values();
        let split = pow2_at_most(blocks.div_ceil(4)).min(32) as u32;
        QuantMatvecSpec {
            format,
            dtype,
            rows,
            wg: QUANT_MATVEC_MAX_WG,
            split,
            residual: false,
            subgroup_x: false,
        }
    }

    /// The software-adapter form for the same product:
    /// [`QUANT_MATVEC_SOFTWARE_COLUMNS`] columns per lane, 64 lanes per
    /// workgroup (so a few hundred columns still make enough workgroups for
    /// every core), x shared by subgroup broadcasts.
    pub fn software(self) -> Self {
        QuantMatvecSpec {
            wg: 64,
            split: 1,
            subgroup_x: true,
            ..self
        }
    }

    /// Whether the fields are in range: a float dtype, rows in 1..=8, `wg` and
    /// `split` powers of two with `split <= wg <= 256`.
    pub fn is_valid(&self) -> bool {
        self.dtype.is_float()
            && (1..=QUANT_MATVEC_MAX_M as u32).contains(&self.rows)
            && self.wg.is_power_of_two()
            && self.wg <= QUANT_MATVEC_MAX_WG
            && self.split.is_power_of_two()
            && self.split <= self.wg
            && (!self.subgroup_x || (self.split == 1 && self.wg >= QUANT_MATVEC_SUBGROUP_LANES))
    }

    /// Output columns one workgroup covers.
    pub fn columns_per_workgroup(&self) -> u32 {
        match self.subgroup_x {
            true => self.wg * QUANT_MATVEC_SOFTWARE_COLUMNS,
            false => self.wg / self.split.max(1),
        }
    }

    /// The grid for `m` rows and `n` columns.
    pub fn grid(&self, m: usize, n: usize) -> Option<QuantGrid> {
        quant_grid(m, n, self.rows, self.columns_per_workgroup())
    }

    /// Render the kernel.
    ///
    /// # Panics
    /// If the spec is not [valid](QuantMatvecSpec::is_valid) (a programming error).
    pub fn render(&self) -> KernelSource {
        assert!(self.is_valid(), "invalid quant matvec spec {self:?}");
        let epilogue = match self.residual {
            false => "fn epilogue(v: f32, i: u32) -> f32 { return v; }\n",
            true => "fn epilogue(v: f32, i: u32) -> f32 { return v + f32(residual[i]); }\n",
        };
        let header = format!(
            "{}const ROWS: u32 = {}u;\nconst WG: u32 = {}u;\nconst SPLIT: u32 = {}u;\n{epilogue}",
            dtype_header(self.dtype),
            self.rows,
            self.wg,
            self.split
        );
        let residual = self.residual.then_some(Binding::read("residual", "T"));
        let bindings: Vec<Binding> = QUANT_BINDINGS.into_iter().chain(residual).collect();
        let body = match self.subgroup_x {
            true => subgroup_body(self.rows, QUANT_MATVEC_SOFTWARE_COLUMNS),
            false => MATVEC_QUANT.to_string(),
        };
        fixed_kernel::<QuantMatmulParams>(
            format!(
                "qmatvec/{}/{}/r{}/wg{}/s{}{}{}",
                self.format,
                self.dtype,
                self.rows,
                self.wg,
                self.split,
                if self.residual { "/residual" } else { "" },
                if self.subgroup_x { "/subgroup" } else { "" }
            ),
            &quant_header(&header, self.format),
            &bindings,
            &body,
            [self.wg, 1, 1],
            self.dtype == DType::F16,
        )
    }

    /// Whether the kernel needs subgroup operations (the software form).
    pub fn needs_subgroups(&self) -> bool {
        self.subgroup_x
    }

    /// Every variant [`QuantMatvecSpec::for_shape`] and
    /// [`QuantMatvecSpec::software`] give: each format, f32 and f16, 1, 2, 4
    /// or 8 rows, 256 lanes split 1 to 32 ways or the 64-lane software form,
    /// with and without a residual.
    pub fn all() -> Vec<QuantMatvecSpec> {
        let mut all = Vec::new();
        for format in QuantFormat::ALL {
            for dtype in DType::FLOATS {
                for rows in [1, 2, 4, 8] {
                    for residual in [false, true] {
                        let base = QuantMatvecSpec {
                            format,
                            dtype,
                            rows,
                            wg: QUANT_MATVEC_MAX_WG,
                            split: 1,
                            residual,
                            subgroup_x: false,
                        };
                        all.extend((0..=5).map(|e| QuantMatvecSpec {
                            split: 1 << e,
                            ..base
                        }));
                        all.push(base.software());
                    }
                }
            }
        }
        all
    }
}

/// The tiled kernel: [`QUANT_TILE`]² outputs per workgroup. Bindings and
/// parameters: see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QuantTiledSpec {
    /// Block format of W.
    pub format: QuantFormat,
    /// Storage type of x and out (f32 or f16).
    pub dtype: DType,
    /// Thread layout.
    pub tile: QuantTile,
}

impl QuantTiledSpec {
    /// Whether the dtype is a float type.
    pub fn is_valid(&self) -> bool {
        self.dtype.is_float()
    }

    /// The grid for `m` rows and `n` columns.
    pub fn grid(&self, m: usize, n: usize) -> Option<QuantGrid> {
        quant_grid(m, n, QUANT_TILE, QUANT_TILE)
    }

    /// Render the kernel.
    ///
    /// # Panics
    /// If the spec is not [valid](QuantTiledSpec::is_valid) (a programming error).
    pub fn render(&self) -> KernelSource {
        assert!(self.is_valid(), "invalid quant tiled spec {self:?}");
        let (name, body, workgroup) = match self.tile {
            QuantTile::Wide => ("", MATMUL_QUANT, [16, 16, 1]),
            QuantTile::Fat => ("fat", MATMUL_QUANT_FAT, [8, 8, 1]),
        };
        fixed_kernel::<QuantMatmulParams>(
            format!(
                "qmatmul/{}/{}/tile{QUANT_TILE}{name}",
                self.format, self.dtype
            ),
            &quant_header(&dtype_header(self.dtype), self.format),
            &QUANT_BINDINGS,
            body,
            workgroup,
            self.dtype == DType::F16,
        )
    }

    /// Every variant: each format, f32 and f16, both tiles.
    pub fn all() -> Vec<QuantTiledSpec> {
        let mut all = Vec::new();
        for format in QuantFormat::ALL {
            for dtype in DType::FLOATS {
                all.extend(
                    [QuantTile::Wide, QuantTile::Fat].map(|tile| QuantTiledSpec {
                        format,
                        dtype,
                        tile,
                    }),
                );
            }
        }
        all
    }
}

/// `header` and the format's unpacking and scale lookup.
fn quant_header(header: &str, format: QuantFormat) -> String {
    format!("{header}{}", format.wgsl())
}

/// The largest power of two `<= v` (1 for 0).
fn pow2_at_most(v: usize) -> usize {
    if v <= 1 {
        1
    } else {
        1 << (usize::BITS - 1 - v.leading_zeros())
    }
}

#[cfg(test)]
#[path = "matmul_quant_tests.rs"]
mod tests;
