// Batched C[b] = A[b] · B[b], A and B addressed through strides (transposes and
// batch broadcasting cost nothing). A 16x16 thread workgroup computes a
// (16*TM) x (16*TN) tile of C, each thread a TM x TN register block, staging
// BK-deep slices of A and B in workgroup memory. Every global load is bounds-
// checked (zero outside), every store guarded. TM, TN, BK come from the header.
const TILE_M: u32 = 16u * TM;
const TILE_N: u32 = 16u * TN;

var<workgroup> a_tile: array<f32, TILE_M * BK>; // [row][kk]
var<workgroup> b_tile: array<f32, BK * TILE_N>; // [kk][col]

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) lidx: u32) {
    let batch = wid.z;
    // Rows of this batch: none for a workgroup past the batch count.
    let m = select(0u, p.m, batch < p.batch);
    let row0 = wid.y * TILE_M;
    let col0 = wid.x * TILE_N;
    let a_base = p.a_off + batch * p.a_sb;
    let b_base = p.b_off + batch * p.b_sb;
    var acc: array<f32, TM * TN>;
    for (var i = 0u; i < TM * TN; i = i + 1u) {
        acc[i] = 0.0;
    }
    for (var k0 = 0u; k0 < p.k; k0 = k0 + BK) {
        for (var e = lidx; e < TILE_M * BK; e = e + 256u) {
            let r = row0 + e / BK;
            let kk = k0 + e % BK;
            var v = 0.0;
            if r < m && kk < p.k {
                v = f32(a[a_base + r * p.a_sm + kk * p.a_sk]);
            }
            a_tile[e] = v;
        }
        for (var e = lidx; e < BK * TILE_N; e = e + 256u) {
            let kk = k0 + e / TILE_N;
            let col = col0 + e % TILE_N;
            var v = 0.0;
            if kk < p.k && col < p.n {
                v = f32(b[b_base + kk * p.b_sk + col * p.b_sn]);
            }
            b_tile[e] = v;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < BK; kk = kk + 1u) {
            var av: array<f32, TM>;
            for (var i = 0u; i < TM; i = i + 1u) {
                av[i] = a_tile[(lid.y + i * 16u) * BK + kk];
            }
            for (var j = 0u; j < TN; j = j + 1u) {
                let bv = b_tile[kk * TILE_N + lid.x + j * 16u];
                for (var i = 0u; i < TM; i = i + 1u) {
                    acc[i * TN + j] = acc[i * TN + j] + av[i] * bv;
                }
            }
        }
        workgroupBarrier();
    }
    let c_base = p.c_off + batch * p.m * p.n;
    for (var i = 0u; i < TM; i = i + 1u) {
        let r = row0 + lid.y + i * 16u;
        for (var j = 0u; j < TN; j = j + 1u) {
            let col = col0 + lid.x + j * 16u;
            if r < m && col < p.n {
                c[c_base + r * p.n + col] = T(acc[i * TN + j]);
            }
        }
    }
}
