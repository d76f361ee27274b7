// Loads for matvec_n.wgsl when b_sn = 1, n % 4 == 0 and B's offset and used
// strides are multiples of 4 (MatvecVariant::fits): b is bound as a vec4 array,
// so a quad is one 16-byte (f32) or 8-byte (f16) load, and a quad that starts
// below n lies wholly below n. A stays scalar (one broadcast element per step).
fn partial_dots(a_base: u32, b_base: u32, row0: u32, m: u32, col: u32, ks: u32) -> array<vec4<f32>, ROWS> {
    var acc: array<vec4<f32>, ROWS>;
    if col >= p.n {
        return acc;
    }
    let b_quad0 = (b_base + col) / 4u;
    let b_sk4 = p.b_sk / 4u;
    var kk = ks;
    // Four steps while all four are below k (written so nothing overflows).
    while kk < p.k && 3u * SPLIT < p.k - kk {
        let b0 = vec4<f32>(b[b_quad0 + kk * b_sk4]);
        let b1 = vec4<f32>(b[b_quad0 + (kk + SPLIT) * b_sk4]);
        let b2 = vec4<f32>(b[b_quad0 + (kk + 2u * SPLIT) * b_sk4]);
        let b3 = vec4<f32>(b[b_quad0 + (kk + 3u * SPLIT) * b_sk4]);
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
        let bv = vec4<f32>(b[b_quad0 + kk * b_sk4]);
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
