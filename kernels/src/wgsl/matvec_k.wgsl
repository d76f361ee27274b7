// Small-m matmul, thread mapping for k-contiguous B (b_sk = 1): a PyTorch Linear
// weight W stored [n, k] and used as W^T, the decode case x · W^T.
//
// A workgroup of WG threads computes ROWS rows x COLS = WG / SPLIT columns of C.
// The SPLIT adjacent threads ("lanes") of one column stride along k together:
// one step of a column's lanes reads SPLIT consecutive elements of that column
// of B (SPLIT consecutive vec4s, 16 * SPLIT bytes of f32, in the vec4 variant),
// so loads coalesce and every element of B is read once per row group. Each
// lane keeps ROWS f32 partial dot products, one per row of A, so B is read once
// for all ROWS rows; A (a few rows) is re-read from cache. The loop is unrolled
// four deep so each lane has four independent loads of B in flight, which is
// what keeps a GPU's memory bus busy when the whole kernel is a stream of B.
// The lanes' partials are summed by a tree in workgroup memory, one row at a
// time, and lane 0 stores. partial_dots() comes from the load snippet:
// matvec_k_scalar.wgsl (any strides) or matvec_k_vec4.wgsl (aligned, a_sk = b_sk = 1).
// Grid: x over column groups, y over row groups, z over the batch.
// Every global load is bounded by k and n; every store by m and n.
// The header defines T (storage type), ROWS, WG and SPLIT; a and b are bound
// as T, or as vec4<T> where the load snippet reads vec4s (MatvecSpec's bindings).
const COLS: u32 = WG / SPLIT;

var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let batch = wid.z;
    // Rows of this batch: none for a workgroup past the batch count.
    let m = select(0u, p.m, batch < p.batch);
    let row0 = wid.y * ROWS;
    let lane = t % SPLIT;
    let col = wid.x * COLS + t / SPLIT;
    var acc = partial_dots(p.a_off + batch * p.a_sb, p.b_off + batch * p.b_sb, row0, m, col, lane);
    let c_base = p.c_off + batch * p.m * p.n;
    for (var i = 0u; i < ROWS; i = i + 1u) {
        red[t] = acc[i];
        workgroupBarrier();
        for (var s = SPLIT / 2u; s > 0u; s = s / 2u) {
            if lane < s {
                red[t] = red[t] + red[t + s];
            }
            workgroupBarrier();
        }
        let r = row0 + i;
        if lane == 0u && r < m && col < p.n {
            c[c_base + r * p.n + col] = T(red[t]);
        }
        // Every lane has read what it needs before the next row overwrites red.
        workgroupBarrier();
    }
}
