//! The WGSL generator of [`BlockedMatmulSpec`]: the register-blocked kernel
//! body, written out line by line so every accumulator is its own variable.

use super::{BlockedMatmulSpec, Contiguous};
use crate::register_block::{write_register_block_step, RegisterBlock};
use std::fmt::Write;

/// The kernel body after the header, parameters and bindings: workgroup
/// tiles and the fully unrolled `main`.
pub(super) fn blocked_body(spec: &BlockedMatmulSpec) -> String {
    let c = spec.config;
    let (bm4, bn4) = (c.bm / 4, c.bn / 4);
    let tn4 = c.tn / 4;
    let mut s = String::new();
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
    let a = Operand {
        name: "a",
        outer: "row",
        quad: "mq",
        origin: "row0",
        limit: "m",
        outer_stride: "p.a_sm",
        k_stride: "p.a_sk",
        extent4: bm4,
        layout: spec.a,
    };
    let b = Operand {
        name: "b",
        outer: "col",
        quad: "nq",
        origin: "col0",
        limit: "p.n",
        outer_stride: "p.b_sn",
        k_stride: "p.b_sk",
        extent4: bn4,
        layout: spec.b,
    };
    stage(&mut s, &a, spec);
    stage(&mut s, &b, spec);
    s.push_str("        workgroupBarrier();\n");
    write_register_block_step(
        &mut s,
        &RegisterBlock {
            tile: c,
            row_lane: "lid.y",
            col_lane: "lid.x",
        },
    );
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

/// The WGSL names of one operand's staging: A (rows, m) or B (columns, n).
struct Operand {
    /// The binding, `a` or `b`; its tile is `{name}_tile` and its base `{name}_base`.
    name: &'static str,
    /// The tile-local outer index (row or column) of a k-contiguous load.
    outer: &'static str,
    /// The tile-local outer quad of an outer-contiguous load.
    quad: &'static str,
    /// The tile's first outer index.
    origin: &'static str,
    /// The outer extent (rows of A, columns of B).
    limit: &'static str,
    /// The outer stride.
    outer_stride: &'static str,
    /// The k stride.
    k_stride: &'static str,
    /// The tile's outer extent in vec4s.
    extent4: u32,
    /// Which dimension is contiguous.
    layout: Contiguous,
}

/// Stage one `bk`-deep slice of `op` into its workgroup tile, `[kk][outer / 4]`
/// as vec4s: each thread loads whole vec4s along the contiguous dimension
/// (transposing them into the tile when that is k).
fn stage(s: &mut String, op: &Operand, spec: &BlockedMatmulSpec) {
    let c = spec.config;
    let threads = c.threads();
    let Operand {
        name,
        outer,
        quad,
        origin,
        limit,
        outer_stride,
        k_stride,
        extent4,
        ..
    } = op;
    for q in 0..extent4 * 4 * c.bk / 4 / threads {
        let _ = writeln!(s, "        {{\n            let e = t + {}u;", q * threads);
        match op.layout {
            Contiguous::K => {
                let bk4 = c.bk / 4;
                let _ = writeln!(
                    s,
                    "            let {outer} = e / {bk4}u;\n            let kq = (e % {bk4}u) * 4u;"
                );
                let cond = format!("{origin} + {outer} < {limit} && k0 + kq < p.k");
                let addr =
                    format!("({name}_base + ({origin} + {outer}) * {outer_stride} + k0 + kq) / 4u");
                load_vec(s, name, &addr, &cond, spec.checked);
                for comp in 0..4 {
                    let _ = writeln!(
                        s,
                        "            {name}_tile[(kq + {comp}u) * {extent4}u + {outer} / 4u][{outer} % 4u] = v[{comp}];"
                    );
                }
            }
            Contiguous::Outer => {
                let _ = writeln!(
                    s,
                    "            let kk = e / {extent4}u;\n            let {quad} = (e % {extent4}u) * 4u;"
                );
                let cond = format!("{origin} + {quad} < {limit} && k0 + kk < p.k");
                let addr =
                    format!("({name}_base + (k0 + kk) * {k_stride} + {origin} + {quad}) / 4u");
                load_vec(s, name, &addr, &cond, spec.checked);
                let _ = writeln!(s, "            {name}_tile[e] = v;");
            }
        }
        s.push_str("        }\n");
    }
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
