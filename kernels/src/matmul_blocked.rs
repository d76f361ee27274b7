//! Register-blocked matmul with vec4 global loads, generated per configuration.
//!
//! `C[b] (m x n) = A[b] (m x k) · B[b] (k x n)`, f32 accumulation, storage `T`
//! (f32 or f16). A workgroup computes a `bm x bn` tile of C; each of its
//! `(bn / tn) x (bm / tm)` threads owns a `tm x tn` block held in `tm * tn / 4`
//! vec4 registers, declared one by one and updated by fully unrolled code so no
//! compiler spills them to an indexed array. Per `bk`-deep step the workgroup
//! stages A (transposed, `[k][m]`) and B (`[k][n]`) in workgroup memory as vec4s.
//!
//! Global memory is bound as `array<vec4<T>>`, so the host must prove the
//! alignment rules of [`BlockedMatmulSpec::applicable`]: every offset, batch
//! stride and non-unit stride a multiple of 4, `n % 4 == 0` (C rows are vec4s)
//! and the contiguous extent of each operand a multiple of 4, so a vec4 never
//! straddles a row and is either wholly inside the matrix or wholly outside.
//!
//! The *checked* rendering compares every tile row/column/depth against `m`, `n`
//! and `k` (zero outside, stores skipped). The *unchecked* rendering drops those
//! comparisons and is compiled without runtime bounds checks; the host picks it
//! only when `m % bm == 0`, `n % bn == 0` and `k % bk == 0`, where every index is
//! in range: a load reads `off + b*sb + r*s_r + c*s_c` with `b < batch`, `r`, `c`
//! below the operand's extents, which the tensor view guarantees lies inside its
//! buffer; a store writes row `< m`, column `< n` of the contiguous output of
//! `batch * m * n` elements; workgroup-memory indices are below the array sizes by
//! construction (thread ids are below the workgroup size).

use crate::assemble::fixed_kernel;
use crate::grid::tile_grid;
use crate::matmul::{matmul_bindings, MatmulParams};
use crate::{dtype_header, DType, KernelSource, TileShape};

#[path = "matmul_blocked_body.rs"]
mod body;

/// Tile shape of one blocked kernel: `bm` rows by `bn` columns of the
/// output per workgroup, `bk` deep per staged step.
pub type BlockedConfig = TileShape;

/// The tile shapes the tuner chooses among: large tiles with 8x8 blocks for big
/// GPU matmuls, 64-wide tiles with 4x4 blocks for mid sizes, and few fat threads
/// with 16x16 blocks for software adapters (where every divergent memory access
/// is a loop over SIMD lanes and arithmetic is cheap by comparison, so the more
/// FMAs per loaded value the better, spills included).
pub const BLOCKED_CONFIGS: [BlockedConfig; 9] = [
    BlockedConfig {
        bm: 128,
        bn: 128,
        bk: 8,
        tm: 8,
        tn: 8,
    },
    BlockedConfig {
        bm: 128,
        bn: 64,
        bk: 16,
        tm: 8,
        tn: 4,
    },
    BlockedConfig {
        bm: 64,
        bn: 64,
        bk: 16,
        tm: 4,
        tn: 4,
    },
    BlockedConfig {
        bm: 64,
        bn: 64,
        bk: 16,
        tm: 8,
        tn: 8,
    },
    BlockedConfig {
        bm: 32,
        bn: 64,
        bk: 16,
        tm: 8,
        tn: 8,
    },
    BlockedConfig {
        bm: 32,
        bn: 32,
        bk: 8,
        tm: 4,
        tn: 4,
    },
    BlockedConfig {
        bm: 64,
        bn: 64,
        bk: 16,
        tm: 16,
        tn: 16,
    },
    BlockedConfig {
        bm: 32,
        bn: 64,
        bk: 16,
        tm: 16,
        tn: 16,
    },
    BlockedConfig {
        bm: 64,
        bn: 32,
        bk: 8,
        tm: 16,
        tn: 8,
    },
];

/// Which dimension of an operand is contiguous in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Contiguous {
    /// The inner (k) dimension: A row-major, or B stored `[n, k]` (a transposed weight).
    K,
    /// The outer dimension: A stored `[k, m]`, or B row-major `[k, n]`.
    Outer,
}

/// One rendering of the blocked matmul.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlockedMatmulSpec {
    /// Storage type of a, b and c.
    pub dtype: DType,
    /// Tile shape.
    pub config: BlockedConfig,
    /// A's contiguous dimension.
    pub a: Contiguous,
    /// B's contiguous dimension.
    pub b: Contiguous,
    /// Bounds comparisons in the shader (false only where the host proved them redundant).
    pub checked: bool,
}

/// Strides of one operand as the host sees them, for [`BlockedMatmulSpec::applicable`].
#[derive(Clone, Copy, Debug)]
pub struct OperandLayout {
    /// Element offset.
    pub offset: usize,
    /// Batch stride (0 when broadcast or batch is 1).
    pub batch_stride: usize,
    /// Stride of the outer dimension (m for A, n for B).
    pub outer_stride: usize,
    /// Stride of k.
    pub k_stride: usize,
}

impl OperandLayout {
    /// The contiguous dimension this layout allows with vec4 loads along it, if any:
    /// unit stride along it, every other stride and the offset multiples of 4, and
    /// `extent` (the length along the contiguous dimension) a multiple of 4.
    pub fn vec4_contiguous(&self, outer_extent: usize, k: usize) -> Option<Contiguous> {
        let aligned = |s: usize| s.is_multiple_of(4);
        if !(aligned(self.offset) && aligned(self.batch_stride)) {
            return None;
        }
        if self.k_stride == 1 && aligned(self.outer_stride) && k.is_multiple_of(4) {
            return Some(Contiguous::K);
        }
        if self.outer_stride == 1 && aligned(self.k_stride) && outer_extent.is_multiple_of(4) {
            return Some(Contiguous::Outer);
        }
        None
    }
}

impl BlockedMatmulSpec {
    /// Whether the generator supports `config`: [`TileShape::blocks_fit`],
    /// a staged depth of whole vec4s, and each invocation loading a whole
    /// number of vec4s of both tiles.
    pub fn supports(config: &BlockedConfig) -> bool {
        let t = config.threads();
        config.blocks_fit()
            && config.bk.is_multiple_of(4)
            && (config.bm * config.bk / 4).is_multiple_of(t)
            && (config.bk * config.bn / 4).is_multiple_of(t)
    }

    /// The spec for these operands with `config`, if its alignment rules hold
    /// (see the module docs); `checked` is false exactly when every dimension is
    /// a multiple of its tile.
    pub fn applicable(
        dtype: DType,
        config: BlockedConfig,
        (m, n, k): (usize, usize, usize),
        a: &OperandLayout,
        b: &OperandLayout,
    ) -> Option<BlockedMatmulSpec> {
        if !Self::supports(&config) || n % 4 != 0 || !matches!(dtype, DType::F32 | DType::F16) {
            return None;
        }
        let a = a.vec4_contiguous(m, k)?;
        let b = b.vec4_contiguous(n, k)?;
        let fits = m.is_multiple_of(config.bm as usize)
            && n.is_multiple_of(config.bn as usize)
            && k.is_multiple_of(config.bk as usize);
        Some(BlockedMatmulSpec {
            dtype,
            config,
            a,
            b,
            checked: !fits,
        })
    }

    /// Cache key, unique per rendering.
    pub fn key(&self) -> String {
        let side = |c: Contiguous| match c {
            Contiguous::K => "k",
            Contiguous::Outer => "o",
        };
        format!(
            "matmul_blocked/{}/{}/a{}b{}/{}",
            self.dtype,
            self.config.name(),
            side(self.a),
            side(self.b),
            if self.checked { "checked" } else { "unchecked" }
        )
    }

    /// Workgroup grid: x over column tiles, y over row tiles, z over the batch.
    pub fn workgroups(&self, m: usize, n: usize, batch: usize) -> Option<[u32; 3]> {
        tile_grid(
            (m, n, batch),
            self.config.bm as usize,
            self.config.bn as usize,
        )
    }

    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let c = self.config;
        KernelSource {
            unchecked_ok: !self.checked,
            ..fixed_kernel::<MatmulParams>(
                self.key(),
                &dtype_header(self.dtype),
                &matmul_bindings("vec4<T>", "vec4<T>", "vec4<T>"),
                &body::blocked_body(self),
                [c.bn / c.tn, c.bm / c.tm, 1],
                self.dtype == DType::F16,
            )
        }
    }

    /// Every variant: each of [`BLOCKED_CONFIGS`] in f32 and f16, every
    /// operand layout, checked and unchecked.
    pub fn all() -> Vec<BlockedMatmulSpec> {
        let sides = [Contiguous::K, Contiguous::Outer];
        let mut all = Vec::new();
        for config in BLOCKED_CONFIGS {
            for dtype in DType::FLOATS {
                for (a, b) in sides.into_iter().flat_map(|a| sides.map(|b| (a, b))) {
                    all.extend([true, false].map(|checked| BlockedMatmulSpec {
                        dtype,
                        config,
                        a,
                        b,
                        checked,
                    }));
                }
            }
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_config_is_valid() {
        for config in BLOCKED_CONFIGS {
            assert!(BlockedMatmulSpec::supports(&config), "{config:?}");
        }
    }

    #[test]
    fn applicability_follows_alignment() {
        let row_major = |rows: usize, cols: usize| OperandLayout {
            offset: 0,
            batch_stride: rows * cols,
            outer_stride: cols,
            k_stride: 1,
        };
        let cfg = BLOCKED_CONFIGS[2];
        let a = row_major(64, 64);
        let b = OperandLayout {
            offset: 0,
            batch_stride: 64 * 64,
            outer_stride: 1,
            k_stride: 64,
        };
        let spec = BlockedMatmulSpec::applicable(DType::F32, cfg, (64, 64, 64), &a, &b).unwrap();
        assert!(!spec.checked);
        assert_eq!((spec.a, spec.b), (Contiguous::K, Contiguous::Outer));
        let ragged = BlockedMatmulSpec::applicable(DType::F32, cfg, (65, 64, 64), &a, &b).unwrap();
        assert!(ragged.checked);
        // k not a multiple of 4 with k-contiguous A: no vec4 path.
        assert!(BlockedMatmulSpec::applicable(DType::F32, cfg, (64, 64, 62), &a, &b).is_none());
        // n not a multiple of 4: C rows are not vec4s.
        assert!(BlockedMatmulSpec::applicable(DType::F32, cfg, (64, 66, 64), &a, &b).is_none());
        let shifted = OperandLayout { offset: 2, ..a };
        assert!(
            BlockedMatmulSpec::applicable(DType::F32, cfg, (64, 64, 64), &shifted, &b).is_none()
        );
        assert!(BlockedMatmulSpec::applicable(DType::I32, cfg, (64, 64, 64), &a, &b).is_none());
        assert_eq!(spec.workgroups(65, 129, 3), Some([3, 2, 3]));
        assert_eq!(spec.workgroups(1, 1, 70_000), None);
    }
}
