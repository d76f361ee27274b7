// Batched C[b] = A[b] · B[b] with strided A and B, 64x64 output tile per 8x8
// workgroup; each thread owns an 8x8 block held in sixteen vec4 accumulators
// (8 rows x 2 column quads). Few, fat invocations suit software adapters, which
// run a workgroup's invocations as SIMD chunks and pay per chunk at barriers.
// A 16-deep slice of A and B is staged in workgroup memory per step; every global
// load is bounds-checked (zero outside) and every store guarded.
const TILE: u32 = 64u;
const BK: u32 = 16u;

var<workgroup> a_tile: array<vec4<f32>, 256>; // [kk][row / 4], BK x TILE/4
var<workgroup> b_tile: array<vec4<f32>, 256>; // [kk][col / 4], BK x TILE/4

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
    let batch = wid.z;
    // No rows for a workgroup past the batch count.
    let m = select(0u, p.m, batch < p.batch);
    let row0 = wid.y * TILE;
    let col0 = wid.x * TILE;
    let a_base = p.a_off + batch * p.a_sb;
    let b_base = p.b_off + batch * p.b_sb;
    var acc: array<vec4<f32>, 16>; // [row i][quad j] at i * 2 + j
    for (var i = 0u; i < 16u; i = i + 1u) {
        acc[i] = vec4<f32>(0.0);
    }
    for (var k0 = 0u; k0 < p.k; k0 = k0 + BK) {
        // 64 threads load 256 quads of each tile: four each.
        for (var q = 0u; q < 4u; q = q + 1u) {
            let e = t + q * 64u; // quad index: kk = e / 16, row or column quad e % 16
            let kk = e / 16u;
            let x4 = (e % 16u) * 4u;
            a_tile[e] = vec4<f32>(
                load_a(a_base, row0 + x4, k0 + kk, m),
                load_a(a_base, row0 + x4 + 1u, k0 + kk, m),
                load_a(a_base, row0 + x4 + 2u, k0 + kk, m),
                load_a(a_base, row0 + x4 + 3u, k0 + kk, m),
            );
            b_tile[e] = vec4<f32>(
                load_b(b_base, k0 + kk, col0 + x4),
                load_b(b_base, k0 + kk, col0 + x4 + 1u),
                load_b(b_base, k0 + kk, col0 + x4 + 2u),
                load_b(b_base, k0 + kk, col0 + x4 + 3u),
            );
        }
        workgroupBarrier();
        for (var s = 0u; s < BK; s = s + 1u) {
            let a_lo = a_tile[s * 16u + lid.y * 2u];
            let a_hi = a_tile[s * 16u + lid.y * 2u + 1u];
            let b_lo = b_tile[s * 16u + lid.x * 2u];
            let b_hi = b_tile[s * 16u + lid.x * 2u + 1u];
            acc[0] = acc[0] + a_lo.x * b_lo;
            acc[1] = acc[1] + a_lo.x * b_hi;
            acc[2] = acc[2] + a_lo.y * b_lo;
            acc[3] = acc[3] + a_lo.y * b_hi;
            acc[4] = acc[4] + a_lo.z * b_lo;
            acc[5] = acc[5] + a_lo.z * b_hi;
            acc[6] = acc[6] + a_lo.w * b_lo;
            acc[7] = acc[7] + a_lo.w * b_hi;
            acc[8] = acc[8] + a_hi.x * b_lo;
            acc[9] = acc[9] + a_hi.x * b_hi;
            acc[10] = acc[10] + a_hi.y * b_lo;
            acc[11] = acc[11] + a_hi.y * b_hi;
            acc[12] = acc[12] + a_hi.z * b_lo;
            acc[13] = acc[13] + a_hi.z * b_hi;
            acc[14] = acc[14] + a_hi.w * b_lo;
            acc[15] = acc[15] + a_hi.w * b_hi;
        }
        workgroupBarrier();
    }
    let c_base = p.c_off + batch * p.m * p.n;
    let r = row0 + lid.y * 8u;
    let col = col0 + lid.x * 8u;
    for (var i = 0u; i < 8u; i = i + 1u) {
        store_row(c_base, r + i, col, m, acc[i * 2u]);
        store_row(c_base, r + i, col + 4u, m, acc[i * 2u + 1u]);
    }
}
