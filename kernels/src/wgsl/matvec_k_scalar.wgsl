// Loads for matvec_k.wgsl, any strides: one element of B per lane per step, lanes
// of a column striding along k by SPLIT, unrolled four steps deep.
fn partial_dots(a_base: u32, b_base: u32, row0: u32, m: u32, col: u32, lane: u32) -> array<f32, ROWS> {
    var acc: array<f32, ROWS>;
    if col >= p.n {
        return acc;
    }
    let b_col = b_base + col * p.b_sn;
    var kk = lane;
    // Four steps while all four are below k (written so nothing overflows).
    while kk < p.k && 3u * SPLIT < p.k - kk {
        let b0 = f32(b[b_col + kk * p.b_sk]);
        let b1 = f32(b[b_col + (kk + SPLIT) * p.b_sk]);
        let b2 = f32(b[b_col + (kk + 2u * SPLIT) * p.b_sk]);
        let b3 = f32(b[b_col + (kk + 3u * SPLIT) * p.b_sk]);
        for (var i = 0u; i < ROWS; i = i + 1u) {
            let r = row0 + i;
            if r < m {
                let ar = a_base + r * p.a_sm;
                acc[i] = acc[i] + f32(a[ar + kk * p.a_sk]) * b0
                    + f32(a[ar + (kk + SPLIT) * p.a_sk]) * b1
                    + f32(a[ar + (kk + 2u * SPLIT) * p.a_sk]) * b2
                    + f32(a[ar + (kk + 3u * SPLIT) * p.a_sk]) * b3;
            }
        }
        kk = kk + 4u * SPLIT;
    }
    while kk < p.k {
        let bv = f32(b[b_col + kk * p.b_sk]);
        for (var i = 0u; i < ROWS; i = i + 1u) {
            let r = row0 + i;
            if r < m {
                acc[i] = acc[i] + f32(a[a_base + r * p.a_sm + kk * p.a_sk]) * bv;
            }
        }
        kk = kk + SPLIT;
    }
    return acc;
}
