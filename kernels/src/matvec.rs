//! Small-m matmul ("matvec") for decoding shapes: `C[b] (m x n) = A[b] (m x k) ·
//! B[b] (k x n)` with m of 1 to 8, the same [`MatmulParams`] and bindings (a, b,
//! c, uniform) as the tiled matmul. The whole kernel is a stream of B, so the
//! thread mapping follows B's layout: [`MatvecLayout::KContiguous`] (PyTorch
//! Linear weights, `x · W^T`) puts a column's threads along k,
//! [`MatvecLayout::NContiguous`] gives each thread four adjacent columns and
//! splits k across the workgroup. [`MatvecLoad::Vec4`] loads B as vec4 where the
//! host proved the layout aligned ([`MatvecVariant::fits`]); the scalar loads
//! take any strides. The design is documented at the top of each `matvec_*.wgsl`.

use crate::assemble::fixed_kernel;
use crate::grid::tile_grid;
use crate::matmul::matmul_bindings;
use crate::{dtype_header, DType, KernelSource, MatmulParams};

const MATVEC_K: &str = include_str!("wgsl/matvec_k.wgsl");
const MATVEC_N: &str = include_str!("wgsl/matvec_n.wgsl");
const MATVEC_K_SCALAR: &str = include_str!("wgsl/matvec_k_scalar.wgsl");
const MATVEC_K_VEC4: &str = include_str!("wgsl/matvec_k_vec4.wgsl");
const MATVEC_N_SCALAR: &str = include_str!("wgsl/matvec_n_scalar.wgsl");
const MATVEC_N_VEC4: &str = include_str!("wgsl/matvec_n_vec4.wgsl");

/// Most rows of C one matvec workgroup computes (its accumulators per thread).
pub const MATVEC_MAX_ROWS: u32 = 8;

/// Largest matvec workgroup (WebGPU's default invocation limit).
pub const MATVEC_MAX_WG: u32 = 256;

/// Which axis of B the threads walk: pick the one along which B is contiguous.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatvecLayout {
    /// One column per `split` adjacent threads, striding along k (best for `b_sk = 1`).
    KContiguous,
    /// Four adjacent columns per thread, k split across threads (best for `b_sn = 1`).
    NContiguous,
}

/// How B (and, for [`MatvecLayout::KContiguous`], A) is loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatvecLoad {
    /// One element per load; any strides.
    Scalar,
    /// Four elements per load; only where [`MatvecVariant::fits`].
    Vec4,
}

/// A layout and load choice: the kernel family member, before tuning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MatvecVariant {
    /// Thread mapping.
    pub layout: MatvecLayout,
    /// Load width.
    pub load: MatvecLoad,
}

impl MatvecVariant {
    /// All four variants.
    pub const ALL: [MatvecVariant; 4] = [
        MatvecVariant::new(MatvecLayout::KContiguous, MatvecLoad::Scalar),
        MatvecVariant::new(MatvecLayout::KContiguous, MatvecLoad::Vec4),
        MatvecVariant::new(MatvecLayout::NContiguous, MatvecLoad::Scalar),
        MatvecVariant::new(MatvecLayout::NContiguous, MatvecLoad::Vec4),
    ];

    /// The variant of `layout` and `load`.
    pub const fn new(layout: MatvecLayout, load: MatvecLoad) -> MatvecVariant {
        MatvecVariant { layout, load }
    }

    /// Whether this variant computes `p` correctly. Scalar loads take any
    /// strides. Vec4 loads need every vec4 index exact: for `KContiguous`,
    /// `a_sk = b_sk = 1`, `k > 0`, `k % 4 == 0` and A's and B's offsets and the
    /// strides in use (row/column strides unless m/n is 1, batch strides unless
    /// the batch is 1) multiples of 4; for `NContiguous`, `b_sn = 1`, `n % 4 == 0`,
    /// `k > 0` and B's offset and used strides multiples of 4 (A stays scalar).
    pub fn fits(&self, p: &MatmulParams) -> bool {
        let aligned = |v: u32, unused: bool| unused || v.is_multiple_of(4);
        let one_batch = p.batch <= 1;
        match (self.layout, self.load) {
            (_, MatvecLoad::Scalar) => true,
            (MatvecLayout::KContiguous, MatvecLoad::Vec4) => {
                p.a_sk == 1
                    && p.b_sk == 1
                    && p.k > 0
                    && p.k.is_multiple_of(4)
                    && aligned(p.a_off, false)
                    && aligned(p.a_sm, p.m <= 1)
                    && aligned(p.a_sb, one_batch)
                    && aligned(p.b_off, false)
                    && aligned(p.b_sn, p.n <= 1)
                    && aligned(p.b_sb, one_batch)
            }
            (MatvecLayout::NContiguous, MatvecLoad::Vec4) => {
                p.b_sn == 1
                    && p.n.is_multiple_of(4)
                    && p.k > 0
                    && aligned(p.b_off, false)
                    && aligned(p.b_sk, p.k <= 1)
                    && aligned(p.b_sb, one_batch)
            }
        }
    }

    /// The mapping for B's strides: k-contiguous when `n == 1` or `b_sk == 1`,
    /// n-contiguous when `k == 1` or `b_sn == 1`, else along the smaller stride;
    /// vec4 loads where they [fit](MatvecVariant::fits).
    pub fn for_params(p: &MatmulParams) -> MatvecVariant {
        let layout = if p.n <= 1 || p.b_sk == 1 {
            MatvecLayout::KContiguous
        } else if p.k <= 1 || p.b_sn == 1 || p.b_sn < p.b_sk {
            MatvecLayout::NContiguous
        } else {
            MatvecLayout::KContiguous
        };
        let vec4 = MatvecVariant::new(layout, MatvecLoad::Vec4);
        if vec4.fits(p) {
            vec4
        } else {
            MatvecVariant::new(layout, MatvecLoad::Scalar)
        }
    }
}

/// The small-m matmul kernel (f32 accumulation). Bindings: a, b (read), c (write),
/// then the [`MatmulParams`] uniform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MatvecSpec {
    /// Storage type of a, b, c (f32 or f16).
    pub dtype: DType,
    /// Thread mapping.
    pub layout: MatvecLayout,
    /// Load width.
    pub load: MatvecLoad,
    /// Rows of C per workgroup, 1 to [`MATVEC_MAX_ROWS`]; more rows take more row groups.
    pub rows: u32,
    /// Threads per workgroup: a power of two up to [`MATVEC_MAX_WG`].
    pub wg: u32,
    /// Threads sharing one output's k range (split-K inside the workgroup): a
    /// power of two up to `wg`.
    pub split: u32,
}

impl MatvecSpec {
    /// A spec tuned for an `m x k · k x n` product: `rows` covers m (rounded up to
    /// a power of two), 256 threads, and the split chosen so the grid has enough
    /// workgroups to fill a large GPU (hundreds) while each thread still walks
    /// several steps of k.
    pub fn for_shape(dtype: DType, variant: MatvecVariant, m: usize, n: usize, k: usize) -> Self {
        let rows = (m.clamp(1, MATVEC_MAX_ROWS as usize) as u32).next_power_of_two();
        let wg = MATVEC_MAX_WG;
        // Steps of k each output's threads share between them.
        let steps = match variant.load {
            MatvecLoad::Vec4 if variant.layout == MatvecLayout::KContiguous => k.div_ceil(4),
            _ => k,
        };
        let k_split = pow2_at_most(steps.div_ceil(4).max(1)).min(wg as usize) as u32;
        let split = match variant.layout {
            // About n / 1024 columns per workgroup, 1 to 8.
            MatvecLayout::KContiguous => wg / pow2_at_most((n / 1024).clamp(1, 8)) as u32,
            // About n / 2048 quads per workgroup, at least 2 (32 bytes of a row
            // of B per warp-sized group), at most 64.
            MatvecLayout::NContiguous => wg / pow2_at_most((n / 2048).clamp(2, 64)) as u32,
        };
        MatvecSpec {
            dtype,
            layout: variant.layout,
            load: variant.load,
            rows,
            wg,
            split: split.min(k_split),
        }
    }

    /// The layout and load of this spec.
    pub fn variant(&self) -> MatvecVariant {
        MatvecVariant::new(self.layout, self.load)
    }

    /// Whether the fields are in range: a float dtype, rows in 1..=8, `wg` and
    /// `split` powers of two with `split <= wg <= 256`.
    pub fn is_valid(&self) -> bool {
        self.dtype.is_float()
            && (1..=MATVEC_MAX_ROWS).contains(&self.rows)
            && self.wg.is_power_of_two()
            && self.wg <= MATVEC_MAX_WG
            && self.split.is_power_of_two()
            && self.split <= self.wg
    }

    /// Columns of C one workgroup covers.
    pub fn columns_per_workgroup(&self) -> u32 {
        match self.layout {
            MatvecLayout::KContiguous => self.wg / self.split,
            MatvecLayout::NContiguous => 4 * (self.wg / self.split),
        }
    }

    /// Render the kernel.
    ///
    /// # Panics
    /// If the spec is not [valid](MatvecSpec::is_valid) (a programming error).
    pub fn render(&self) -> KernelSource {
        assert!(self.is_valid(), "invalid matvec spec {self:?}");
        let (a_elem, b_elem, loads, body) = match (self.layout, self.load) {
            (MatvecLayout::KContiguous, MatvecLoad::Scalar) => {
                ("T", "T", MATVEC_K_SCALAR, MATVEC_K)
            }
            (MatvecLayout::KContiguous, MatvecLoad::Vec4) => {
                ("vec4<T>", "vec4<T>", MATVEC_K_VEC4, MATVEC_K)
            }
            (MatvecLayout::NContiguous, MatvecLoad::Scalar) => {
                ("T", "T", MATVEC_N_SCALAR, MATVEC_N)
            }
            (MatvecLayout::NContiguous, MatvecLoad::Vec4) => {
                ("T", "vec4<T>", MATVEC_N_VEC4, MATVEC_N)
            }
        };
        let header = format!(
            "{}const ROWS: u32 = {}u;\nconst WG: u32 = {}u;\nconst SPLIT: u32 = {}u;\n",
            dtype_header(self.dtype),
            self.rows,
            self.wg,
            self.split
        );
        let layout = match self.layout {
            MatvecLayout::KContiguous => "kcontig",
            MatvecLayout::NContiguous => "ncontig",
        };
        let load = match self.load {
            MatvecLoad::Scalar => "scalar",
            MatvecLoad::Vec4 => "vec4",
        };
        fixed_kernel::<MatmulParams>(
            format!(
                "matvec/{}/{layout}/{load}/r{}/wg{}/s{}",
                self.dtype, self.rows, self.wg, self.split
            ),
            &format!("{header}{loads}"),
            &matmul_bindings(a_elem, b_elem, "T"),
            body,
            [self.wg, 1, 1],
            self.dtype == DType::F16,
        )
    }

    /// Every variant: each layout and load in f32 and f16, 1 to
    /// [`MATVEC_MAX_ROWS`] rows, workgroups of 32 to [`MATVEC_MAX_WG`] threads
    /// (powers of two) and every split they allow. [`MatvecSpec::for_shape`]
    /// picks among them; smaller workgroups are valid but never chosen.
    pub fn all() -> Vec<MatvecSpec> {
        let mut all = Vec::new();
        for dtype in DType::FLOATS {
            for variant in MatvecVariant::ALL {
                for rows in 1..=MATVEC_MAX_ROWS {
                    for wg in [32, 64, 128, MATVEC_MAX_WG] {
                        let splits = (0..=wg.trailing_zeros()).map(|e| 1 << e);
                        all.extend(splits.map(|split| MatvecSpec {
                            dtype,
                            layout: variant.layout,
                            load: variant.load,
                            rows,
                            wg,
                            split,
                        }));
                    }
                }
            }
        }
        all
    }

    /// Grid: x over column groups, y over row groups, z over the batch; `None`
    /// when a dimension exceeds the dispatch limit.
    pub fn workgroups(&self, m: usize, n: usize, batch: usize) -> Option<[u32; 3]> {
        tile_grid(
            (m, n, batch),
            self.rows.max(1) as usize,
            self.columns_per_workgroup() as usize,
        )
    }
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
#[path = "matvec_tests.rs"]
mod tests;
