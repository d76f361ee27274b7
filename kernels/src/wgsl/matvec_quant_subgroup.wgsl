// Quantized matvec for software adapters (decoding on llvmpipe): out[r, c] =
// Σ_k x[r, k] · W[c, k], W an n x k GGML matrix that stays quantized (see the
// format snippet), for a few rows of x.
//
// On a CPU adapter the lanes of a subgroup are the lanes of one SIMD register
// and every load whose address differs per lane is a loop over the lanes, so
// loads are what cost. Here each lane owns one output column and walks its
// whole row of W block by block; all lanes of a workgroup take the same block
// at the same time. A block of one x row is 8 vec4s: lane l of each 8 loads
// vec4 l % 8, and the lanes take the other seven by subgroupBroadcast (a
// register shuffle) instead of loading all eight themselves, which is a
// quarter of matvec_quant.wgsl's loads per block. No reduction is left: each lane
// holds its column's sums.
//
// Needs subgroups of at least 8 lanes (the host checks the adapter's minimum
// subgroup size) and uniform control flow around the broadcasts: the loops
// run over uniform bounds, and loads are clamped instead of guarded (the
// column to n - 1, the row to m - 1); the stores are guarded by m and n.
// The header defines T, ROWS, WG and epilogue, as for matvec_quant.wgsl.

// Σ_j q_j x_j over one block, lane l % 8 holding x vec4 l % 8 in xv.
fn shared_block_dot(q: array<vec4<f32>, 8>, xv: vec4<f32>) -> f32 {
    let s0 = dot(q[0], subgroupBroadcast(xv, 0u)) + dot(q[1], subgroupBroadcast(xv, 1u));
    let s1 = dot(q[2], subgroupBroadcast(xv, 2u)) + dot(q[3], subgroupBroadcast(xv, 3u));
    let s2 = dot(q[4], subgroupBroadcast(xv, 4u)) + dot(q[5], subgroupBroadcast(xv, 5u));
    let s3 = dot(q[6], subgroupBroadcast(xv, 6u)) + dot(q[7], subgroupBroadcast(xv, 7u));
    return (s0 + s1) + (s2 + s3);
}

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32,
        @builtin(subgroup_invocation_id) sg: u32) {
    let g = linear_workgroup(wid, nwg);
    // Workgroups past the grid's count: uniform across the workgroup.
    if g >= p.groups {
        return;
    }
    let row0 = (g / p.col_groups) * ROWS;
    let col = (g % p.col_groups) * WG + t;
    let first = min(col, p.n - 1u) * p.blocks;
    let k4 = p.k / 4u;
    let x0 = p.x_off / 4u + sg % 8u;
    var acc: array<f32, ROWS>;
    for (var blk = 0u; blk < p.blocks; blk = blk + 1u) {
        let q = block_values(first + blk);
        let d = block_scale(first + blk);
        for (var i = 0u; i < ROWS; i = i + 1u) {
            let r = min(row0 + i, p.m - 1u);
            let xv = vec4<f32>(x[x0 + r * k4 + blk * 8u]);
            acc[i] = acc[i] + d * shared_block_dot(q, xv);
        }
    }
    for (var i = 0u; i < ROWS; i = i + 1u) {
        let r = row0 + i;
        if r < p.m && col < p.n {
            out[p.out_off + r * p.n + col] = T(epilogue(acc[i], r * p.n + col));
        }
    }
}
