//! The WGSL generator of the software-adapter form of [`QuantMatvecSpec`]
//! (`subgroup_x`): `main` written out with one accumulator per row of x and
//! output column, the row and column loops unrolled (llvmpipe reaches a
//! dynamically indexed local array lane by lane in memory).
//!
//! [`QuantMatvecSpec`]: crate::QuantMatvecSpec

use std::fmt::Write;

const HELPERS: &str = include_str!("wgsl/matvec_quant_subgroup.wgsl");

/// The kernel body after the header, parameters and bindings for `rows` rows
/// of x and `cols` output columns per lane: the unrolled `main`.
pub(crate) fn subgroup_body(rows: u32, cols: u32) -> String {
    let mut s = String::from(HELPERS);
    let _ = writeln!(
        s,
        "
@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32,
        @builtin(subgroup_invocation_id) sg: u32) {{
    let g = linear_workgroup(wid, nwg);
    // Workgroups past the grid's count: uniform across the workgroup.
    if g >= p.groups {{
        return;
    }}
    let row0 = (g / p.col_groups) * ROWS;
    let col0 = (g % p.col_groups) * {cols}u * WG + t;
    let k4 = p.k / 4u;
    let xs = p.x_off / 4u + sg % 8u;"
    );
    for c in 0..cols {
        let _ = writeln!(
            s,
            "    let first{c} = min(col0 + {c}u * WG, p.n - 1u) * p.blocks;"
        );
    }
    for i in 0..rows {
        let _ = writeln!(s, "    let x{i} = xs + min(row0 + {i}u, p.m - 1u) * k4;");
        for c in 0..cols {
            let _ = writeln!(s, "    var acc{i}_{c} = 0.0;");
        }
    }
    s.push_str("    for (var blk = 0u; blk < p.blocks; blk = blk + 1u) {\n");
    for c in 0..cols {
        let _ = writeln!(s, "        let q{c} = block_values(first{c} + blk);");
        let _ = writeln!(s, "        let d{c} = block_scale(first{c} + blk);");
    }
    for i in 0..rows {
        let _ = writeln!(s, "        let xv{i} = vec4<f32>(x[x{i} + blk * 8u]);");
        for c in 0..cols {
            let _ = writeln!(s, "        var s{i}_{c} = 0.0;");
        }
        for j in 0..8 {
            let _ = writeln!(s, "        let xb{i}_{j} = subgroupBroadcast(xv{i}, {j}u);");
            for c in 0..cols {
                let _ = writeln!(
                    s,
                    "        s{i}_{c} = s{i}_{c} + dot(q{c}[{j}], xb{i}_{j});"
                );
            }
        }
        for c in 0..cols {
            let _ = writeln!(s, "        acc{i}_{c} = acc{i}_{c} + d{c} * s{i}_{c};");
        }
    }
    s.push_str("    }\n");
    for i in 0..rows {
        for c in 0..cols {
            let _ = writeln!(
                s,
                "    let col{i}_{c} = col0 + {c}u * WG;
    if row0 + {i}u < p.m && col{i}_{c} < p.n {{
        let o{i}_{c} = (row0 + {i}u) * p.n + col{i}_{c};
        out[p.out_off + o{i}_{c}] = T(epilogue(acc{i}_{c}, o{i}_{c}));
    }}"
            );
        }
    }
    s.push_str("}\n");
    s
}
