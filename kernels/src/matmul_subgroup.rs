//! Subgroup-broadcast matmul for software adapters, generated per configuration.
//!
//! On a CPU adapter (lavapipe/llvmpipe) the invocations of a subgroup are the
//! lanes of one SIMD register: an arithmetic op costs one instruction for all
//! lanes, a memory access whose address differs per lane is a loop over the lanes,
//! and `subgroupBroadcast` with a constant lane is one register shuffle. So this
//! kernel shares data through broadcasts instead of workgroup memory, and has no
//! barrier. A workgroup is exactly 8 invocations (one subgroup on adapters whose
//! subgroups have at least 8 lanes: the runtime checks the adapter's minimum
//! subgroup size); lane `l` owns 4 adjacent columns `col0 + 32h + 4l ..` for each
//! of `quads` column quads `h` of a `rows x 32 quads` output tile. Per 4-deep step of k, lane `l` loads row `row0 + l`
//! (and `row0 + 8 + l` for 16 rows) of A for those 4 k, and its 4 columns of B for
//! those 4 k; then for every row `r` the A values are broadcast from the lane that
//! loaded them and multiplied into the lane's vec4 accumulator of row `r`.
//! Per lane that is `rows / 8 + 4` loads (vec4 where aligned) for `16 * rows`
//! FMAs.
//!
//! Every load index is clamped into the matrix (`min(row, m - 1)`,
//! `min(col, n - 1)`, `min(k, k_len - 1)`; the batch is below `p.batch` by the
//! grid) so loads stay inside the operand's view, which lies inside its buffer;
//! values past `k` are zeroed with `select`, and stores are guarded by
//! `row < m && col < n` into the contiguous `batch * m * n` output. So every
//! rendering is compiled without runtime bounds checks. Vec4 loads need the host's
//! alignment proof (see [`SubgroupLoad`]); the scalar loads need none. All control
//! flow is uniform (no early return, loop bounds from uniforms), as broadcasts
//! require.

use crate::assemble::fixed_kernel;
use crate::grid::tile_grid;
use crate::matmul::{matmul_bindings, MatmulParams};
use crate::{dtype_header, DType, KernelSource};
use std::fmt::Write;

/// Lanes per workgroup: the subgroup the kernel assumes.
pub const SUBGROUP_MATMUL_LANES: u32 = 8;

/// How an operand is loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SubgroupLoad {
    /// One element at a time: any strides.
    Scalar,
    /// vec4 along k: unit k stride, offset, batch and outer strides multiples of
    /// 4, and `k % 4 == 0`.
    KVec4,
    /// vec4 along the outer dimension (B only: n): unit n stride, offset, batch
    /// and k strides multiples of 4, and `n % 4 == 0`.
    OuterVec4,
}

/// One rendering of the subgroup matmul.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SubgroupMatmulSpec {
    /// Storage type of a, b and c.
    pub dtype: DType,
    /// Output rows per workgroup: 8, 16, 32 or 64.
    pub rows: u32,
    /// Column quads per lane: 1 or 2 (a workgroup covers `32 * quads` columns).
    pub quads: u32,
    /// How A is loaded (`Scalar` or `KVec4`).
    pub a: SubgroupLoad,
    /// How B is loaded.
    pub b: SubgroupLoad,
}

impl SubgroupMatmulSpec {
    /// Cache key.
    pub fn key(&self) -> String {
        format!(
            "matmul_subgroup/{}/r{}q{}/a{:?}/b{:?}",
            self.dtype, self.rows, self.quads, self.a, self.b
        )
    }

    /// Whether the spec is one the generator renders.
    pub fn is_valid(&self) -> bool {
        matches!(self.rows, 8 | 16 | 32 | 64)
            && matches!(self.quads, 1 | 2)
            && self.a != SubgroupLoad::OuterVec4
    }

    /// Workgroup grid: x over 32-column groups, y over row groups, z over the batch.
    pub fn workgroups(&self, m: usize, n: usize, batch: usize) -> Option<[u32; 3]> {
        tile_grid(
            (m, n, batch),
            self.rows as usize,
            (4 * SUBGROUP_MATMUL_LANES * self.quads) as usize,
        )
    }

    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let elem = |load: SubgroupLoad| match load {
            SubgroupLoad::Scalar => "T",
            _ => "vec4<T>",
        };
        KernelSource {
            unchecked_ok: true,
            ..fixed_kernel::<MatmulParams>(
                self.key(),
                &dtype_header(self.dtype),
                &matmul_bindings(elem(self.a), elem(self.b), "T"),
                &render_body(self),
                [SUBGROUP_MATMUL_LANES, 1, 1],
                self.dtype == DType::F16,
            )
        }
    }

    /// Whether the kernel needs subgroup operations: always.
    pub fn needs_subgroups(&self) -> bool {
        true
    }

    /// Every variant: f32 and f16, every valid tile (8 to 64 rows, 1 or 2
    /// column quads), every load of A and of B.
    pub fn all() -> Vec<SubgroupMatmulSpec> {
        let loads = [
            SubgroupLoad::Scalar,
            SubgroupLoad::KVec4,
            SubgroupLoad::OuterVec4,
        ];
        let mut all = Vec::new();
        for dtype in DType::FLOATS {
            for (rows, quads) in [8, 16, 32, 64].into_iter().flat_map(|r| [(r, 1), (r, 2)]) {
                for (a, b) in loads.into_iter().flat_map(|a| loads.map(|b| (a, b))) {
                    let spec = SubgroupMatmulSpec {
                        dtype,
                        rows,
                        quads,
                        a,
                        b,
                    };
                    all.extend(spec.is_valid().then_some(spec));
                }
            }
        }
        all
    }
}

/// The kernel body after the header, parameters and bindings: `main`, with
/// every accumulator its own variable.
fn render_body(spec: &SubgroupMatmulSpec) -> String {
    let rows = spec.rows;
    let groups = rows / 8;
    let quads = spec.quads;
    let comps = ["x", "y", "z", "w"];
    let mut s = String::new();
    let _ = write!(
        s,
        "@compute @workgroup_size(8, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(subgroup_invocation_id) lane: u32) {{
    let bz = wid.z;
    let a_base = p.a_off + bz * p.a_sb;
    let b_base = p.b_off + bz * p.b_sb;
    let row0 = wid.y * {rows}u;
    let k_last = p.k - 1u;
"
    );
    for h in 0..quads {
        let _ = writeln!(
            s,
            "    let col{h} = wid.x * {}u + {}u + lane * 4u;",
            32 * quads,
            32 * h
        );
    }
    for g in 0..groups {
        let _ = writeln!(
            s,
            "    let ar{g} = a_base + min(row0 + {}u + lane, p.m - 1u) * p.a_sm;",
            g * 8
        );
    }
    for h in 0..quads {
        for j in 0..4 {
            let _ = writeln!(
                s,
                "    let bc{h}_{j} = b_base + min(col{h} + {j}u, p.n - 1u) * p.b_sn;"
            );
        }
    }
    for r in 0..rows {
        for h in 0..quads {
            let _ = writeln!(s, "    var acc{r}_{h} = vec4<f32>(0.0);");
        }
    }
    s.push_str("    for (var k0 = 0u; k0 < p.k; k0 = k0 + 4u) {\n");
    // A: the lane's row(s), 4 values of k, zero past k.
    for g in 0..groups {
        match spec.a {
            SubgroupLoad::KVec4 => {
                let _ = writeln!(s, "        let av{g} = vec4<f32>(a[(ar{g} + k0) / 4u]);");
            }
            _ => {
                let _ = writeln!(
                    s,
                    "        let av{g} = vec4<f32>({});",
                    (0..4)
                        .map(|q| format!(
                            "select(0.0, f32(a[ar{g} + min(k0 + {q}u, k_last) * p.a_sk]), k0 + {q}u < p.k)"
                        ))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
    }
    // B: per quad h, 4 k x 4 columns as bk{q}_{h} (vec4 over columns at k0 + q).
    for h in 0..quads {
        match spec.b {
            SubgroupLoad::OuterVec4 => {
                let _ = writeln!(s, "        let bcol{h} = b_base + min(col{h}, p.n - 4u);");
                for q in 0..4 {
                    let _ = writeln!(
                        s,
                        "        let bk{q}_{h} = select(vec4<f32>(0.0), vec4<f32>(b[(bcol{h} + min(k0 + {q}u, k_last) * p.b_sk) / 4u]), k0 + {q}u < p.k);"
                    );
                }
            }
            SubgroupLoad::KVec4 => {
                for j in 0..4 {
                    let _ = writeln!(
                        s,
                        "        let bn{j}_{h} = vec4<f32>(b[(bc{h}_{j} + k0) / 4u]);"
                    );
                }
                for (q, comp) in comps.iter().enumerate() {
                    let _ = writeln!(
                        s,
                        "        let bk{q}_{h} = vec4<f32>(bn0_{h}.{comp}, bn1_{h}.{comp}, bn2_{h}.{comp}, bn3_{h}.{comp});"
                    );
                }
            }
            SubgroupLoad::Scalar => {
                for q in 0..4 {
                    let _ = writeln!(
                        s,
                        "        let kb{q}_{h} = min(k0 + {q}u, k_last) * p.b_sk;\n        let bk{q}_{h} = select(vec4<f32>(0.0), vec4<f32>(f32(b[bc{h}_0 + kb{q}_{h}]), f32(b[bc{h}_1 + kb{q}_{h}]), f32(b[bc{h}_2 + kb{q}_{h}]), f32(b[bc{h}_3 + kb{q}_{h}])), k0 + {q}u < p.k);"
                    );
                }
            }
        }
    }
    for r in 0..rows {
        let _ = writeln!(
            s,
            "        let a{r} = subgroupBroadcast(av{}, {}u);",
            r / 8,
            r % 8
        );
        for (q, comp) in comps.iter().enumerate() {
            for h in 0..quads {
                let _ = writeln!(
                    s,
                    "        acc{r}_{h} = fma(vec4<f32>(a{r}.{comp}), bk{q}_{h}, acc{r}_{h});"
                );
            }
        }
    }
    s.push_str("    }\n    let c_base = p.c_off + bz * p.m * p.n;\n");
    for r in 0..rows {
        let _ = writeln!(s, "    if row0 + {r}u < p.m {{");
        let _ = writeln!(s, "        let o = c_base + (row0 + {r}u) * p.n;");
        for h in 0..quads {
            for (j, comp) in comps.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "        if col{h} + {j}u < p.n {{ c[o + col{h} + {j}u] = T(acc{r}_{h}.{comp}); }}"
                );
            }
        }
        s.push_str("    }\n");
    }
    s.push_str("}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subgroup_matmul_grid() {
        let spec = SubgroupMatmulSpec {
            dtype: DType::F32,
            rows: 16,
            quads: 1,
            a: SubgroupLoad::Scalar,
            b: SubgroupLoad::Scalar,
        };
        assert_eq!(spec.workgroups(17, 33, 2), Some([2, 2, 2]));
        assert_eq!(spec.workgroups(1, 1, 70_000), None);
        assert!(!SubgroupMatmulSpec { rows: 12, ..spec }.is_valid());
        let wide = SubgroupMatmulSpec { quads: 2, ..spec };
        assert_eq!(wide.workgroups(17, 65, 1), Some([2, 2, 1]));
    }
}
