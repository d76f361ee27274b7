//! The unrolled inner loop shared by the register-blocked kernels (the
//! blocked matmul and the implicit-GEMM conv): for each step `kk` of a
//! workgroup tile staged as vec4s (`a_tile[kk][row / 4]`,
//! `b_tile[kk][col / 4]`), load the invocation's `tm / 4` A vectors and
//! `tn / 4` B vectors and fold them into its `tm x tn / 4` vec4
//! accumulators `acc{r}_{j}`, then close the k loop with a barrier.

use crate::TileShape;
use std::fmt::Write;

/// One register-blocked tile, as the loop needs it.
pub(crate) struct RegisterBlock<'a> {
    /// The workgroup tile and the invocation's block.
    pub tile: TileShape,
    /// The WGSL expression of the invocation's row lane (e.g. `lid.y`).
    pub row_lane: &'a str,
    /// The WGSL expression of the invocation's column lane (e.g. `lid.x`).
    pub col_lane: &'a str,
}

/// Write the `kk` loop over the staged tiles, then the closing barrier and
/// the closing brace of the enclosing k loop.
pub(crate) fn write_register_block_step(s: &mut String, block: &RegisterBlock) {
    let b = &block.tile;
    let (bm4, bn4) = (b.bm / 4, b.bn / 4);
    let (tm4, tn4) = (b.tm / 4, b.tn / 4);
    let (row_lane, col_lane) = (block.row_lane, block.col_lane);
    let _ = writeln!(
        s,
        "        for (var kk = 0u; kk < {}u; kk = kk + 1u) {{",
        b.bk
    );
    for i in 0..tm4 {
        let _ = writeln!(
            s,
            "            let a{i} = a_tile[kk * {bm4}u + {row_lane} * {tm4}u + {i}u];"
        );
    }
    for j in 0..tn4 {
        let _ = writeln!(
            s,
            "            let b{j} = b_tile[kk * {bn4}u + {col_lane} * {tn4}u + {j}u];"
        );
    }
    let comps = ["x", "y", "z", "w"];
    for r in 0..b.tm {
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
}
