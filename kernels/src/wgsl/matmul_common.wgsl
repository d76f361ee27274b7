// Shared by the tiled matmul bodies: bounds-checked loads (zero outside the
// matrices) and a guarded store of four columns.
// C[b] (m x n, contiguous) = A[b] (m x k) · B[b] (k x n); A and B through strides.

fn load_a(base: u32, r: u32, kk: u32, m: u32) -> f32 {
    if r < m && kk < p.k {
        return f32(a[base + r * p.a_sm + kk * p.a_sk]);
    }
    return 0.0;
}

fn load_b(base: u32, kk: u32, col: u32) -> f32 {
    if kk < p.k && col < p.n {
        return f32(b[base + kk * p.b_sk + col * p.b_sn]);
    }
    return 0.0;
}

fn store_row(base: u32, r: u32, col: u32, m: u32, v: vec4<f32>) {
    if r >= m {
        return;
    }
    let o = base + r * p.n;
    if col < p.n {
        c[o + col] = T(v.x);
    }
    if col + 1u < p.n {
        c[o + col + 1u] = T(v.y);
    }
    if col + 2u < p.n {
        c[o + col + 2u] = T(v.z);
    }
    if col + 3u < p.n {
        c[o + col + 3u] = T(v.w);
    }
}
