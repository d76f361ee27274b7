// Batched C[b] = A[b] · B[b] with strided A and B, a 32x32 output tile per 8x8
// workgroup with no workgroup memory and no barrier: each invocation reads its
// four rows of A and four columns of B straight from storage and keeps its 4x4
// block in four vec4 accumulators. For software adapters behind the browser
// (SwiftShader: a barrier costs a pass over every SIMD chunk of the workgroup;
// Tint compiles this in a moment, unlike the 64x64 register-blocked tiles).
// Row and column indices are clamped into A and B, so every load is in bounds
// and branch-free; what a clamped load feeds lies outside C and is not stored.
const TILE: u32 = 32u;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let batch = wid.z;
    // No barrier below, so workgroups with nothing to do may leave at once.
    if batch >= p.batch || p.m == 0u || p.n == 0u {
        return;
    }
    let r = wid.y * TILE + lid.y * 4u;
    let col = wid.x * TILE + lid.x * 4u;
    if r >= p.m || col >= p.n {
        return;
    }
    let a_base = p.a_off + batch * p.a_sb;
    let b_base = p.b_off + batch * p.b_sb;
    let last_r = p.m - 1u;
    let last_c = p.n - 1u;
    let a0 = a_base + min(r, last_r) * p.a_sm;
    let a1 = a_base + min(r + 1u, last_r) * p.a_sm;
    let a2 = a_base + min(r + 2u, last_r) * p.a_sm;
    let a3 = a_base + min(r + 3u, last_r) * p.a_sm;
    let b0 = b_base + min(col, last_c) * p.b_sn;
    let b1 = b_base + min(col + 1u, last_c) * p.b_sn;
    let b2 = b_base + min(col + 2u, last_c) * p.b_sn;
    let b3 = b_base + min(col + 3u, last_c) * p.b_sn;
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var kk = 0u; kk < p.k; kk = kk + 1u) {
        let ak = kk * p.a_sk;
        let bk = kk * p.b_sk;
        let bv = vec4<f32>(f32(b[b0 + bk]), f32(b[b1 + bk]), f32(b[b2 + bk]), f32(b[b3 + bk]));
        acc0 = acc0 + f32(a[a0 + ak]) * bv;
        acc1 = acc1 + f32(a[a1 + ak]) * bv;
        acc2 = acc2 + f32(a[a2 + ak]) * bv;
        acc3 = acc3 + f32(a[a3 + ak]) * bv;
    }
    let c_base = p.c_off + batch * p.m * p.n;
    store_row(c_base, r, col, p.m, acc0);
    store_row(c_base, r + 1u, col, p.m, acc1);
    store_row(c_base, r + 2u, col, p.m, acc2);
    store_row(c_base, r + 3u, col, p.m, acc3);
}
