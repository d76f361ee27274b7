// Loads for matvec_n.wgsl, any strides: a quad of B is four bounds-checked scalar
// loads (zero past n), k slices striding by SPLIT, unrolled four steps deep.
fn b_quad(row: u32, col: u32) -> vec4<f32> {
    var v = vec4<f32>(0.0);
    let o = row + col * p.b_sn;
    if col < p.n {
        v.x = f32(b[o]);
    }
    if col + 1u < p.n {
        v.y = f32(b[o + p.b_sn]);
    }
    if col + 2u < p.n {
        v.z = f32(b[o + 2u * p.b_sn]);
    }
    if col + 3u < p.n {
        v.w = f32(b[o + 3u * p.b_sn]);
    }
    return v;
}

fn partial_dots(a_base: u32, b_base: u32, row0: u32, m: u32, col: u32, ks: u32) -> array<vec4<f32>, ROWS> {
    var acc: array<vec4<f32>, ROWS>;
    if col >= p.n {
        return acc;
    }
    var kk = ks;
    // Four steps while all four are below k (written so nothing overflows).
    while kk < p.k && 3u * SPLIT < p.k - kk {
        let b0 = b_quad(b_base + kk * p.b_sk, col);
        let b1 = b_quad(b_base + (kk + SPLIT) * p.b_sk, col);
        let b2 = b_quad(b_base + (kk + 2u * SPLIT) * p.b_sk, col);
        let b3 = b_quad(b_base + (kk + 3u * SPLIT) * p.b_sk, col);
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
        let bv = b_quad(b_base + kk * p.b_sk, col);
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
