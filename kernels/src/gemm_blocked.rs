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

use crate::gemm::{MatmulParams, MATMUL_PARAMS_WGSL};
use crate::grid::MAX_WORKGROUPS_PER_DIM;
use crate::{BindingKind, DType, KernelSource};
use std::fmt::Write;

/// Tile shape of one blocked kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlockedConfig {
    /// Output rows per workgroup.
    pub bm: u32,
    /// Output columns per workgroup.
    pub bn: u32,
    /// Depth of one staged step.
    pub bk: u32,
    /// Output rows per thread.
    pub tm: u32,
    /// Output columns per thread (a multiple of 4).
    pub tn: u32,
}

impl BlockedConfig {
    /// Threads per workgroup.
    pub fn threads(&self) -> u32 {
        (self.bm / self.tm) * (self.bn / self.tn)
    }

    /// Short name, e.g. `128x128x8t8x8`.
    pub fn name(&self) -> String {
        format!(
            "{}x{}x{}t{}x{}",
            self.bm, self.bn, self.bk, self.tm, self.tn
        )
    }

    /// Whether the shape is one the generator supports: tiles divisible by the
    /// per-thread block, vec4 multiples everywhere, each thread loading a whole
    /// number of vec4s of both tiles, at most 256 threads.
    pub fn is_valid(&self) -> bool {
        let t = self.threads();
        self.tm.is_multiple_of(4)
            && self.tn.is_multiple_of(4)
            && self.bk.is_multiple_of(4)
            && self.bm.is_multiple_of(self.tm)
            && self.bn.is_multiple_of(self.tn)
            && (1..=256).contains(&t)
            && (self.bm * self.bk / 4).is_multiple_of(t)
            && (self.bk * self.bn / 4).is_multiple_of(t)
    }
}

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
        if !config.is_valid() || n % 4 != 0 || !matches!(dtype, DType::F32 | DType::F16) {
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
        let grid = [
            n.div_ceil(self.config.bn as usize),
            m.div_ceil(self.config.bm as usize),
            batch,
        ];
        if grid.iter().any(|&g| g > MAX_WORKGROUPS_PER_DIM as usize) {
            return None;
        }
        Some(grid.map(|g| g as u32))
    }

    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let c = self.config;
        let wgsl = render_wgsl(self);
        KernelSource {
            key: self.key(),
            wgsl,
            entry: "main",
            bindings: vec![
                BindingKind::ReadOnly,
                BindingKind::ReadOnly,
                BindingKind::ReadWrite,
            ],
            params_size: std::mem::size_of::<MatmulParams>() as u32,
            overrides: Vec::new(),
            workgroup: [c.bn / c.tn, c.bm / c.tm, 1],
            needs_f16: self.dtype == DType::F16,
            unchecked_ok: !self.checked,
        }
    }
}

fn render_wgsl(spec: &BlockedMatmulSpec) -> String {
    let c = spec.config;
    let (bm4, bn4) = (c.bm / 4, c.bn / 4);
    let threads = c.threads();
    let (tm4, tn4) = (c.tm / 4, c.tn / 4);
    let mut s = String::new();
    if spec.dtype == DType::F16 {
        s.push_str("enable f16;\nalias T = f16;\n");
    } else {
        s.push_str("alias T = f32;\n");
    }
    s.push_str(MATMUL_PARAMS_WGSL);
    s.push_str(
        "@group(0) @binding(0) var<storage, read> a: array<vec4<T>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<T>>;
@group(0) @binding(2) var<storage, read_write> c: array<vec4<T>>;
@group(0) @binding(3) var<uniform> p: Params;
",
    );
    let _ = writeln!(
        s,
        "var<workgroup> a_tile: array<vec4<f32>, {}>; // [kk][row / 4]",
        c.bk * bm4
    );
    let _ = writeln!(
        s,
        "var<workgroup> b_tile: array<vec4<f32>, {}>; // [kk][col / 4]",
        c.bk * bn4
    );
    let _ = writeln!(
        s,
        "@compute @workgroup_size({}, {}, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {{
    let bz = wid.z;
    let row0 = wid.y * {}u;
    let col0 = wid.x * {}u;
    let a_base = p.a_off + bz * p.a_sb;
    let b_base = p.b_off + bz * p.b_sb;",
        c.bn / c.tn,
        c.bm / c.tm,
        c.bm,
        c.bn
    );
    if spec.checked {
        // A workgroup past the batch count (never launched today) loads and stores nothing.
        s.push_str("    let m = select(0u, p.m, bz < p.batch);\n");
    }
    for r in 0..c.tm {
        for j in 0..tn4 {
            let _ = writeln!(s, "    var acc{r}_{j} = vec4<f32>(0.0);");
        }
    }
    let _ = writeln!(s, "    for (var k0 = 0u; k0 < p.k; k0 = k0 + {}u) {{", c.bk);
    // Stage A.
    let a_loads = c.bm * c.bk / 4 / threads;
    for q in 0..a_loads {
        let _ = writeln!(s, "        {{\n            let e = t + {}u;", q * threads);
        match spec.a {
            Contiguous::K => {
                let bk4 = c.bk / 4;
                let _ = writeln!(
                    s,
                    "            let row = e / {bk4}u;\n            let kq = (e % {bk4}u) * 4u;"
                );
                let cond = "row0 + row < m && k0 + kq < p.k";
                let addr = "(a_base + (row0 + row) * p.a_sm + k0 + kq) / 4u";
                load_vec(&mut s, "a", addr, cond, spec.checked);
                for comp in 0..4 {
                    let _ = writeln!(
                        s,
                        "            a_tile[(kq + {comp}u) * {bm4}u + row / 4u][row % 4u] = v[{comp}];"
                    );
                }
            }
            Contiguous::Outer => {
                let _ = writeln!(
                    s,
                    "            let kk = e / {bm4}u;\n            let mq = (e % {bm4}u) * 4u;"
                );
                let cond = "row0 + mq < m && k0 + kk < p.k";
                let addr = "(a_base + (k0 + kk) * p.a_sk + row0 + mq) / 4u";
                load_vec(&mut s, "a", addr, cond, spec.checked);
                s.push_str("            a_tile[e] = v;\n");
            }
        }
        s.push_str("        }\n");
    }
    // Stage B.
    let b_loads = c.bn * c.bk / 4 / threads;
    for q in 0..b_loads {
        let _ = writeln!(s, "        {{\n            let e = t + {}u;", q * threads);
        match spec.b {
            Contiguous::Outer => {
                let _ = writeln!(
                    s,
                    "            let kk = e / {bn4}u;\n            let nq = (e % {bn4}u) * 4u;"
                );
                let cond = "k0 + kk < p.k && col0 + nq < p.n";
                let addr = "(b_base + (k0 + kk) * p.b_sk + col0 + nq) / 4u";
                load_vec(&mut s, "b", addr, cond, spec.checked);
                s.push_str("            b_tile[e] = v;\n");
            }
            Contiguous::K => {
                let bk4 = c.bk / 4;
                let _ = writeln!(
                    s,
                    "            let col = e / {bk4}u;\n            let kq = (e % {bk4}u) * 4u;"
                );
                let cond = "col0 + col < p.n && k0 + kq < p.k";
                let addr = "(b_base + (col0 + col) * p.b_sn + k0 + kq) / 4u";
                load_vec(&mut s, "b", addr, cond, spec.checked);
                for comp in 0..4 {
                    let _ = writeln!(
                        s,
                        "            b_tile[(kq + {comp}u) * {bn4}u + col / 4u][col % 4u] = v[{comp}];"
                    );
                }
            }
        }
        s.push_str("        }\n");
    }
    s.push_str("        workgroupBarrier();\n");
    let _ = writeln!(
        s,
        "        for (var kk = 0u; kk < {}u; kk = kk + 1u) {{",
        c.bk
    );
    for i in 0..tm4 {
        let _ = writeln!(
            s,
            "            let a{i} = a_tile[kk * {bm4}u + lid.y * {tm4}u + {i}u];"
        );
    }
    for j in 0..tn4 {
        let _ = writeln!(
            s,
            "            let b{j} = b_tile[kk * {bn4}u + lid.x * {tn4}u + {j}u];"
        );
    }
    let comps = ["x", "y", "z", "w"];
    for r in 0..c.tm {
        for j in 0..tn4 {
            let _ = writeln!(
                s,
                "            acc{r}_{j} = fma(vec4<f32>(a{}.{}), b{j}, acc{r}_{j});",
                r / 4,
                comps[(r % 4) as usize]
            );
        }
    }
    s.push_str("        }\n        workgroupBarrier();\n    }\n");
    // Store.
    s.push_str("    let c_base = (p.c_off + bz * p.m * p.n) / 4u;\n    let n4 = p.n / 4u;\n");
    let _ = writeln!(
        s,
        "    let r0 = row0 + lid.y * {}u;\n    let cq0 = (col0 + lid.x * {}u) / 4u;",
        c.tm, c.tn
    );
    for r in 0..c.tm {
        for j in 0..tn4 {
            let store = format!("c[c_base + (r0 + {r}u) * n4 + cq0 + {j}u] = vec4<T>(acc{r}_{j});");
            if spec.checked {
                let _ = writeln!(s, "    if r0 + {r}u < m && cq0 + {j}u < n4 {{ {store} }}");
            } else {
                let _ = writeln!(s, "    {store}");
            }
        }
    }
    s.push_str("}\n");
    s
}

/// `let v = vec4<f32>(...)` from `buf[addr]`, zero when `cond` fails (checked).
fn load_vec(s: &mut String, buf: &str, addr: &str, cond: &str, checked: bool) {
    if checked {
        let _ = writeln!(
            s,
            "            var v = vec4<f32>(0.0);\n            if {cond} {{ v = vec4<f32>({buf}[{addr}]); }}"
        );
    } else {
        let _ = writeln!(s, "            let v = vec4<f32>({buf}[{addr}]);");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naga_check::check_kernel;

    #[test]
    fn every_blocked_variant_validates() {
        let mut keys = std::collections::HashSet::new();
        for config in BLOCKED_CONFIGS {
            assert!(config.is_valid(), "{config:?}");
            for dtype in [DType::F32, DType::F16] {
                for a in [Contiguous::K, Contiguous::Outer] {
                    for b in [Contiguous::K, Contiguous::Outer] {
                        for checked in [true, false] {
                            let spec = BlockedMatmulSpec {
                                dtype,
                                config,
                                a,
                                b,
                                checked,
                            };
                            let src = spec.render();
                            check_kernel(&src);
                            assert!(keys.insert(src.key.clone()));
                        }
                    }
                }
            }
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
