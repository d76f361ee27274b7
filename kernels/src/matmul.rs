//! Batched matrix multiply with strided operands: a tiled, register-blocked kernel
//! in two tile sizes (64x64 for large outputs, 16x16 for small ones), and a
//! barrier-free 32x32 tile for software adapters behind the browser.

use crate::assemble::{fixed_kernel, Binding};
use crate::grid::tile_grid;
use crate::params::uniform_params;
use crate::{dtype_header, DType, KernelSource};

const MATMUL_COMMON: &str = include_str!("wgsl/matmul_common.wgsl");
const MATMUL: &str = include_str!("wgsl/matmul.wgsl");
const MATMUL_4X4: &str = include_str!("wgsl/matmul_4x4.wgsl");
const MATMUL_DIRECT: &str = include_str!("wgsl/matmul_direct.wgsl");
const MATMUL_8X8: &str = concat!(
    include_str!("wgsl/matmul_tile.wgsl"),
    include_str!("wgsl/matmul_8x8.wgsl")
);

/// Parameters of the matmul: `C[b] (m x n, contiguous) = A[b] (m x k) · B[b] (k x n)`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct MatmulParams {
    /// Rows of A and C.
    pub m: u32,
    /// Columns of B and C.
    pub n: u32,
    /// Inner dimension.
    pub k: u32,
    /// Batch count.
    pub batch: u32,
    /// Offset of A.
    pub a_off: u32,
    /// Offset of B.
    pub b_off: u32,
    /// Offset of C.
    pub c_off: u32,
    /// Padding.
    pub pad0: u32,
    /// A's batch stride (0 broadcasts).
    pub a_sb: u32,
    /// A's row stride.
    pub a_sm: u32,
    /// A's k stride.
    pub a_sk: u32,
    /// Padding.
    pub pad1: u32,
    /// B's batch stride (0 broadcasts).
    pub b_sb: u32,
    /// B's k stride.
    pub b_sk: u32,
    /// B's column stride.
    pub b_sn: u32,
    /// Padding.
    pub pad2: u32,
}

uniform_params!(MatmulParams = include_str!("wgsl/matmul_params.wgsl");
    m, n, k, batch, a_off, b_off, c_off, pad0, a_sb, a_sm, a_sk, pad1, b_sb, b_sk, b_sn, pad2);

/// The bindings of every matmul kernel: a and b (read) and c (write), arrays
/// of the given element types (`T` or `vec4<T>`).
pub(crate) const fn matmul_bindings(
    a: &'static str,
    b: &'static str,
    c: &'static str,
) -> [Binding; 3] {
    [
        Binding::read("a", a),
        Binding::read("b", b),
        Binding::read_write("c", c),
    ]
}

/// Output tile per workgroup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatmulTile {
    /// 16x16 threads, 1x1 per thread: a 16x16 tile, for small outputs.
    Small,
    /// 16x16 threads, 4x4 per thread in vec4 accumulators: a 64x64 tile.
    Large,
    /// 8x8 threads, 8x8 per thread: a 64x64 tile from few, fat invocations
    /// (for software adapters, which pay per SIMD chunk at every barrier).
    LargeFat,
    /// 8x8 threads, 4x4 per thread loaded straight from storage: a 32x32 tile
    /// with no workgroup memory and no barrier (for SwiftShader in the
    /// browser, where barriers are dear and big tiles slow to compile).
    Direct,
}

impl MatmulTile {
    /// Every tile.
    pub const ALL: [MatmulTile; 4] = [
        MatmulTile::Small,
        MatmulTile::Large,
        MatmulTile::LargeFat,
        MatmulTile::Direct,
    ];

    /// Output rows/cols covered by one workgroup.
    pub fn size(self) -> u32 {
        match self {
            MatmulTile::Small => 16,
            MatmulTile::Direct => 32,
            MatmulTile::Large | MatmulTile::LargeFat => 64,
        }
    }

    /// The tile for an `m x n` output: a 64x64 tile when it yields enough
    /// workgroups, the fat-invocation form on software adapters.
    pub fn for_output(m: usize, n: usize, software_adapter: bool) -> MatmulTile {
        match (m >= 64 && n >= 64, software_adapter) {
            (false, _) => MatmulTile::Small,
            (true, false) => MatmulTile::Large,
            (true, true) => MatmulTile::LargeFat,
        }
    }
}

/// Batched matmul (f32 accumulation). Bindings: a, b (read), c (write).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MatmulSpec {
    /// Storage type of a, b, c.
    pub dtype: DType,
    /// Tile choice.
    pub tile: MatmulTile,
}

impl MatmulSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let (header, body) = match self.tile {
            MatmulTile::Small => (
                format!(
                    "{}const TM: u32 = 1u;\nconst TN: u32 = 1u;\nconst BK: u32 = 16u;\n",
                    dtype_header(self.dtype)
                ),
                MATMUL,
            ),
            MatmulTile::Large => (dtype_header(self.dtype), MATMUL_4X4),
            MatmulTile::LargeFat => (dtype_header(self.dtype), MATMUL_8X8),
            MatmulTile::Direct => (dtype_header(self.dtype), MATMUL_DIRECT),
        };
        let (name, workgroup) = match self.tile {
            MatmulTile::LargeFat => ("tile64fat", [8, 8, 1]),
            MatmulTile::Direct => ("direct32", [8, 8, 1]),
            MatmulTile::Large => ("tile64", [16, 16, 1]),
            MatmulTile::Small => ("tile16", [16, 16, 1]),
        };
        fixed_kernel::<MatmulParams>(
            format!("matmul/{}/{name}", self.dtype),
            &format!("{header}{MATMUL_COMMON}"),
            &matmul_bindings("T", "T", "T"),
            body,
            workgroup,
            self.dtype == DType::F16,
        )
    }

    /// Grid: x over column tiles, y over row tiles, z over the batch; `None` when
    /// a dimension exceeds the dispatch limit.
    pub fn workgroups(&self, m: usize, n: usize, batch: usize) -> Option<[u32; 3]> {
        let s = self.tile.size() as usize;
        tile_grid((m, n, batch), s, s)
    }

    /// Every variant: each tile in f32 and f16.
    pub fn all() -> Vec<MatmulSpec> {
        DType::FLOATS
            .into_iter()
            .flat_map(|dtype| MatmulTile::ALL.map(|tile| MatmulSpec { dtype, tile }))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matmul_grid() {
        let spec = MatmulSpec {
            dtype: DType::F32,
            tile: MatmulTile::Large,
        };
        assert_eq!(spec.workgroups(65, 129, 3), Some([3, 2, 3]));
        assert_eq!(spec.workgroups(1, 1, 70_000), None);
        let direct = MatmulSpec {
            dtype: DType::F32,
            tile: MatmulTile::Direct,
        };
        assert_eq!(direct.workgroups(65, 129, 3), Some([5, 3, 3]));
    }
}
