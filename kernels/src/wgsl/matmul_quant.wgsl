// Quantized matmul for many rows of x (prompt processing):
// out[r, c] = Σ_k x[r, k] · W[c, k], W an n x k GGML matrix that stays
// quantized (see the format snippet).
//
// A 16x16 workgroup computes a 64x64 tile of out; thread (lx, ly) owns rows
// ly + 16i and columns lx + 16j (i, j < 4) in four vec4 accumulators (no
// dynamically indexed private arrays, which software adapters spill). Per step
// of 16 values of k (half a block), thread t stages one vec4 of x (row t / 4,
// k-quad t % 4) and dequantizes one quad of W (column t / 4, quad t % 4 of the
// half block: one u32 of quants times the block's scale) into workgroup
// memory; then per k-quad 8 vec4 loads from workgroup memory feed 16 dot4s.
// Rows of the W tile are padded to WPAD vec4 so the 16 columns a half-warp
// reads lie in distinct banks; x_tile reads are broadcasts. Loads outside x
// or W give zero, stores are guarded.
// The header defines T (storage type of x and out).
const TILE: u32 = 64u;
const WPAD: u32 = 5u;

var<workgroup> x_tile: array<vec4<f32>, 256>; // [row][k quad]: TILE x 4
var<workgroup> w_tile: array<vec4<f32>, 320>; // [col][k quad]: TILE x WPAD

// Row r of out from column c: columns c, c + 16, c + 32, c + 48.
fn store_row(r: u32, c: u32, v: vec4<f32>) {
    if r >= p.m {
        return;
    }
    let o = p.out_off + r * p.n;
    if c < p.n {
        out[o + c] = T(v.x);
    }
    if c + 16u < p.n {
        out[o + c + 16u] = T(v.y);
    }
    if c + 32u < p.n {
        out[o + c + 32u] = T(v.z);
    }
    if c + 48u < p.n {
        out[o + c + 48u] = T(v.w);
    }
}

@compute @workgroup_size(16, 16, 1)
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
    let k4 = p.k / 4u;
    let x0 = p.x_off / 4u;
    // What this thread stages: row / column t / 4, k-quad t % 4.
    let sr = row0 + t / 4u;
    let sc = col0 + t / 4u;
    let sq = t % 4u;
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var k0 = 0u; k0 < p.k; k0 = k0 + 16u) {
        var xv = vec4<f32>(0.0);
        if sr < p.m {
            xv = vec4<f32>(x[x0 + sr * k4 + k0 / 4u + sq]);
        }
        x_tile[t] = xv;
        var wv = vec4<f32>(0.0);
        if sc < p.n {
            let b = sc * p.blocks + k0 / 32u;
            wv = block_scale(b) * block_quad(b, (k0 % 32u) / 4u + sq);
        }
        w_tile[(t / 4u) * WPAD + sq] = wv;
        workgroupBarrier();
        for (var kq = 0u; kq < 4u; kq = kq + 1u) {
            let w0 = w_tile[lid.x * WPAD + kq];
            let w1 = w_tile[(lid.x + 16u) * WPAD + kq];
            let w2 = w_tile[(lid.x + 32u) * WPAD + kq];
            let w3 = w_tile[(lid.x + 48u) * WPAD + kq];
            let a0 = x_tile[lid.y * 4u + kq];
            acc0 = acc0 + vec4<f32>(dot(a0, w0), dot(a0, w1), dot(a0, w2), dot(a0, w3));
            let a1 = x_tile[(lid.y + 16u) * 4u + kq];
            acc1 = acc1 + vec4<f32>(dot(a1, w0), dot(a1, w1), dot(a1, w2), dot(a1, w3));
            let a2 = x_tile[(lid.y + 32u) * 4u + kq];
            acc2 = acc2 + vec4<f32>(dot(a2, w0), dot(a2, w1), dot(a2, w2), dot(a2, w3));
            let a3 = x_tile[(lid.y + 48u) * 4u + kq];
            acc3 = acc3 + vec4<f32>(dot(a3, w0), dot(a3, w1), dot(a3, w2), dot(a3, w3));
        }
        workgroupBarrier();
    }
    store_row(row0 + lid.y, col0 + lid.x, acc0);
    store_row(row0 + lid.y + 16u, col0 + lid.x, acc1);
    store_row(row0 + lid.y + 32u, col0 + lid.x, acc2);
    store_row(row0 + lid.y + 48u, col0 + lid.x, acc3);
}
