// Quantized matvec for a few rows of x (decoding): out[r, c] = Σ_k x[r, k] · W[c, k]
// with W an n x k GGML matrix that stays quantized (32-value blocks of quants,
// with f16 scales beside them or inside; see the format snippet).
//
// A workgroup of WG threads computes ROWS rows x COLS = WG / SPLIT columns of
// out. The SPLIT adjacent lanes of one column stride over that row of W one
// block each: a step of the lanes reads SPLIT consecutive blocks (32 bytes of
// Q8_0, 16 of Q4_0 / Q4_1, 20 of Q5_0 / Q5_1 as words, 64 of F16, a
// sub-block's 16 quant bytes plus the super-block's header for Q4_K, 32 plus
// scales for Q6_K per lane), so loads coalesce and W is read once per row
// group. A lane unpacks its block once and uses it for all
// ROWS rows of x, applying the block's scale once per block per row:
// acc[i] += d * Σ_j q_j x[r, j]. x (a few rows, read as vec4) comes from cache.
// The partials of all ROWS rows are then summed by one tree in workgroup
// memory (log2(SPLIT) barriers in all) and lanes 0.. store the rows.
// The header defines T (storage type of x and out), ROWS, WG, SPLIT and
// `epilogue(v, i)`: v, or v plus residual[i] (the residual binding, contiguous
// m x n at offset 0). The bindings are QuantMatvecSpec's.
// Bounds: x reads below x_off + m*k, W reads below n*blocks blocks, stores
// guarded by m and n.
const COLS: u32 = WG / SPLIT;

var<workgroup> red: array<f32, ROWS * WG>;

// Σ_j q_j x[j] over one block: q from block_values, x from vec4 index xb.
fn block_dot(q: array<vec4<f32>, 8>, xb: u32) -> f32 {
    let s0 = dot(q[0], vec4<f32>(x[xb])) + dot(q[1], vec4<f32>(x[xb + 1u]));
    let s1 = dot(q[2], vec4<f32>(x[xb + 2u])) + dot(q[3], vec4<f32>(x[xb + 3u]));
    let s2 = dot(q[4], vec4<f32>(x[xb + 4u])) + dot(q[5], vec4<f32>(x[xb + 5u]));
    let s3 = dot(q[6], vec4<f32>(x[xb + 6u])) + dot(q[7], vec4<f32>(x[xb + 7u]));
    return (s0 + s1) + (s2 + s3);
}

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
    let g = linear_workgroup(wid, nwg);
    // Workgroups past the grid's count: uniform across the workgroup.
    if g >= p.groups {
        return;
    }
    let row0 = (g / p.col_groups) * ROWS;
    let lane = t % SPLIT;
    let col = (g % p.col_groups) * COLS + t / SPLIT;
    let k4 = p.k / 4u;
    let x0 = p.x_off / 4u;
    var acc: array<f32, ROWS>;
    if col < p.n {
        let first = col * p.blocks;
        for (var blk = lane; blk < p.blocks; blk = blk + SPLIT) {
            let q = block_values(first + blk);
            let d = block_scale(first + blk);
            for (var i = 0u; i < ROWS; i = i + 1u) {
                let r = row0 + i;
                if r < p.m {
                    acc[i] = acc[i] + d * block_dot(q, x0 + r * k4 + blk * 8u);
                }
            }
        }
    }
    for (var i = 0u; i < ROWS; i = i + 1u) {
        red[i * WG + t] = acc[i];
    }
    workgroupBarrier();
    for (var s = SPLIT / 2u; s > 0u; s = s / 2u) {
        if lane < s {
            for (var i = 0u; i < ROWS; i = i + 1u) {
                red[i * WG + t] = red[i * WG + t] + red[i * WG + t + s];
            }
        }
        workgroupBarrier();
    }
    // Lane l stores rows l, l + SPLIT, ... of its column.
    let first_lane = t - lane;
    for (var i = lane; i < ROWS; i = i + SPLIT) {
        let r = row0 + i;
        if r < p.m && col < p.n {
            out[p.out_off + r * p.n + col] = T(epilogue(red[i * WG + first_lane], r * p.n + col));
        }
    }
}
