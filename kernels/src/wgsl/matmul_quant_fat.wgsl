// Quantized matmul for many rows of x on software adapters (lavapipe,
// llvmpipe), which run a workgroup's invocations as SIMD chunks and pay per
// chunk at every barrier: few, fat invocations, as in matmul_8x8.wgsl.
// out[r, c] = Σ_k x[r, k] · W[c, k], W an n x k GGML matrix that stays
// quantized (see the format snippet).
//
// An 8x8 workgroup computes a 64x64 tile of out; thread (lx, ly) owns rows
// 8ly .. 8ly + 7 and columns 8lx .. 8lx + 7 in sixteen vec4 accumulators
// (row i, column quad j at 2i + j; constant indices only). Per step of 16
// values of k (half a block) the workgroup stages x and the dequantized W as
// [kk][row / 4] and [kk][col / 4] vec4 tiles: each thread loads one k-quad of
// four rows of x (vec4 loads) and of four rows of W (one quant word and one
// scale each) and transposes them into four entries of each tile. Then per kk
// two vec4s of each tile feed 16 vec4 FMAs (an outer product). Loads outside
// x or W give zero, stores are guarded.
// The header defines T (storage type of x and out).
const TILE: u32 = 64u;

var<workgroup> x_tile: array<vec4<f32>, 256>; // [kk][row / 4]: 16 x 16
var<workgroup> w_tile: array<vec4<f32>, 256>; // [kk][col / 4]: 16 x 16

// x[r, 4kq .. 4kq + 3] (x0: x's offset in vec4s; kq counts k-quads), 0
// past the last row.
fn x_quad(x0: u32, r: u32, kq: u32) -> vec4<f32> {
    if r >= p.m {
        return vec4<f32>(0.0);
    }
    return vec4<f32>(x[x0 + r * (p.k / 4u) + kq]);
}

// W[c, 4kq .. 4kq + 3] dequantized, 0 past the last row of W.
fn w_quad(c: u32, kq: u32) -> vec4<f32> {
    if c >= p.n {
        return vec4<f32>(0.0);
    }
    let b = c * p.blocks + kq / 8u;
    return block_scale(b) * block_quad(b, kq % 8u);
}

// Four k-quads (one per row or column), transposed: rows kk = 4q + i of a
// [kk][quad] tile get component i of each.
fn transpose4(v0: vec4<f32>, v1: vec4<f32>, v2: vec4<f32>, v3: vec4<f32>) -> array<vec4<f32>, 4> {
    return array<vec4<f32>, 4>(
        vec4<f32>(v0.x, v1.x, v2.x, v3.x),
        vec4<f32>(v0.y, v1.y, v2.y, v3.y),
        vec4<f32>(v0.z, v1.z, v2.z, v3.z),
        vec4<f32>(v0.w, v1.w, v2.w, v3.w),
    );
}

// Columns c .. c + 3 of row r.
fn store4(r: u32, c: u32, v: vec4<f32>) {
    if r >= p.m {
        return;
    }
    let o = p.out_off + r * p.n;
    if c < p.n {
        out[o + c] = T(v.x);
    }
    if c + 1u < p.n {
        out[o + c + 1u] = T(v.y);
    }
    if c + 2u < p.n {
        out[o + c + 2u] = T(v.z);
    }
    if c + 3u < p.n {
        out[o + c + 3u] = T(v.w);
    }
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
    let g = linear_workgroup(wid, nwg);
    // Workgroups past the grid's count: uniform across the workgroup.
    if g >= p.groups {
        return;
    }
    let row0 = (g / p.col_groups) * TILE;
    let col0 = (g % p.col_groups) * TILE;
    let x0 = p.x_off / 4u;
    var acc: array<vec4<f32>, 16>;
    for (var i = 0u; i < 16u; i = i + 1u) {
        acc[i] = vec4<f32>(0.0);
    }
    for (var k0 = 0u; k0 < p.k; k0 = k0 + 16u) {
        // Thread t stages row / column quad t % 16 at k-quad t / 16 of the
        // step: four vec4 loads (and four of W's quant words) transposed into
        // four entries of each tile.
        let quad = t % 16u;
        let kq = k0 / 4u + t / 16u;
        let r = row0 + quad * 4u;
        let c = col0 + quad * 4u;
        let xs = transpose4(x_quad(x0, r, kq), x_quad(x0, r + 1u, kq),
                            x_quad(x0, r + 2u, kq), x_quad(x0, r + 3u, kq));
        let ws = transpose4(w_quad(c, kq), w_quad(c + 1u, kq), w_quad(c + 2u, kq), w_quad(c + 3u, kq));
        let e = (t / 16u) * 64u + quad;
        x_tile[e] = xs[0];
        x_tile[e + 16u] = xs[1];
        x_tile[e + 32u] = xs[2];
        x_tile[e + 48u] = xs[3];
        w_tile[e] = ws[0];
        w_tile[e + 16u] = ws[1];
        w_tile[e + 32u] = ws[2];
        w_tile[e + 48u] = ws[3];
        workgroupBarrier();
        for (var s = 0u; s < 16u; s = s + 1u) {
            let a_lo = x_tile[s * 16u + lid.y * 2u];
            let a_hi = x_tile[s * 16u + lid.y * 2u + 1u];
            let b_lo = w_tile[s * 16u + lid.x * 2u];
            let b_hi = w_tile[s * 16u + lid.x * 2u + 1u];
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
    let r = row0 + lid.y * 8u;
    let c = col0 + lid.x * 8u;
    for (var i = 0u; i < 8u; i = i + 1u) {
        store4(r + i, c, acc[i * 2u]);
        store4(r + i, c + 4u, acc[i * 2u + 1u]);
    }
}
