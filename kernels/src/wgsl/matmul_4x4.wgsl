// Batched C[b] = A[b] · B[b] with strided A and B, 64x64 output tile per 16x16
// workgroup; each thread owns a 4x4 block held in four vec4 accumulators (no
// dynamically indexed private arrays, which software adapters spill to memory).
// A 16-deep slice of A and B is staged in workgroup memory per step; every global
// load is bounds-checked (zero outside) and every store guarded.
const TILE: u32 = 64u;
const BK: u32 = 16u;

var<workgroup> a_tile: array<f32, 1024>; // [kk][row], BK x TILE
var<workgroup> b_tile: array<vec4<f32>, 256>; // [kk][col / 4], BK x TILE/4

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
    let batch = wid.z;
    // No rows for a workgroup past the batch count.
    let m = select(0u, p.m, batch < p.batch);
    let row0 = wid.y * TILE;
    let col0 = wid.x * TILE;
    let a_base = p.a_off + batch * p.a_sb;
    let b_base = p.b_off + batch * p.b_sb;
    // This thread's loads: A row t/4, k quad t%4; B k row t/16, column quad t%16.
    let la_row = t / 4u;
    let la_k = (t % 4u) * 4u;
    let lb_k = t / 16u;
    let lb_col = (t % 16u) * 4u;
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var k0 = 0u; k0 < p.k; k0 = k0 + BK) {
        let r = row0 + la_row;
        let kk = k0 + la_k;
        a_tile[(la_k + 0u) * TILE + la_row] = load_a(a_base, r, kk, m);
        a_tile[(la_k + 1u) * TILE + la_row] = load_a(a_base, r, kk + 1u, m);
        a_tile[(la_k + 2u) * TILE + la_row] = load_a(a_base, r, kk + 2u, m);
        a_tile[(la_k + 3u) * TILE + la_row] = load_a(a_base, r, kk + 3u, m);
        let bk = k0 + lb_k;
        let bc = col0 + lb_col;
        b_tile[lb_k * 16u + t % 16u] = vec4<f32>(
            load_b(b_base, bk, bc),
            load_b(b_base, bk, bc + 1u),
            load_b(b_base, bk, bc + 2u),
            load_b(b_base, bk, bc + 3u),
        );
        workgroupBarrier();
        for (var s = 0u; s < BK; s = s + 1u) {
            let ar = s * TILE + lid.y * 4u;
            let bv = b_tile[s * 16u + lid.x];
            acc0 = acc0 + a_tile[ar] * bv;
            acc1 = acc1 + a_tile[ar + 1u] * bv;
            acc2 = acc2 + a_tile[ar + 2u] * bv;
            acc3 = acc3 + a_tile[ar + 3u] * bv;
        }
        workgroupBarrier();
    }
    let c_base = p.c_off + batch * p.m * p.n;
    let r = row0 + lid.y * 4u;
    let col = col0 + lid.x * 4u;
    store_row(c_base, r, col, m, acc0);
    store_row(c_base, r + 1u, col, m, acc1);
    store_row(c_base, r + 2u, col, m, acc2);
    store_row(c_base, r + 3u, col, m, acc3);
}
