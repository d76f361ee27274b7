// Loads for matvec_k.wgsl when a_sk = b_sk = 1, k % 4 == 0 and the offsets and
// the used strides of A and B are multiples of 4 (MatvecVariant::fits): a and b
// are bound as vec4 arrays and each lane step is one 16-byte (f32) or 8-byte
// (f16) load of B and one of each row of A, unrolled four steps deep.
fn partial_dots(a_base: u32, b_base: u32, row0: u32, m: u32, col: u32, lane: u32) -> array<f32, ROWS> {
    var acc: array<f32, ROWS>;
    if col >= p.n {
        return acc;
    }
    let k4 = p.k / 4u;
    let b_col = (b_base + col * p.b_sn) / 4u;
    let a_row0 = a_base / 4u;
    let a_sm4 = p.a_sm / 4u;
    var q = lane;
    // Four steps while all four are below k4 (written so nothing overflows).
    while q < k4 && 3u * SPLIT < k4 - q {
        let b0 = vec4<f32>(b[b_col + q]);
        let b1 = vec4<f32>(b[b_col + q + SPLIT]);
        let b2 = vec4<f32>(b[b_col + q + 2u * SPLIT]);
        let b3 = vec4<f32>(b[b_col + q + 3u * SPLIT]);
        for (var i = 0u; i < ROWS; i = i + 1u) {
            let r = row0 + i;
            if r < m {
                let ar = a_row0 + r * a_sm4 + q;
                acc[i] = acc[i] + dot(vec4<f32>(a[ar]), b0)
                    + dot(vec4<f32>(a[ar + SPLIT]), b1)
                    + dot(vec4<f32>(a[ar + 2u * SPLIT]), b2)
                    + dot(vec4<f32>(a[ar + 3u * SPLIT]), b3);
            }
        }
        q = q + 4u * SPLIT;
    }
    while q < k4 {
        let bv = vec4<f32>(b[b_col + q]);
        for (var i = 0u; i < ROWS; i = i + 1u) {
            let r = row0 + i;
            if r < m {
                acc[i] = acc[i] + dot(vec4<f32>(a[a_row0 + r * a_sm4 + q]), bv);
            }
        }
        q = q + SPLIT;
    }
    return acc;
}
