// Quantized matmul for many rows of x on software adapters (lavapipe,
// llvmpipe): out[r, c] = Σ_k x[r, k] · W[c, k], W an n x k GGML matrix that
// stays quantized (see the format snippet). A 64x64 tile of out per 8x8
// workgroup through matmul_tile.wgsl's main loop (the dense 8x8 tile's): this
// kernel gives it x in vec4 loads and W one dequantized quad at a time (one
// quant word times its block's scale), zero past the last row of either, and
// a guarded store. The header defines T (storage type of x and out).

// x's offset in vec4s.
struct TileOperands {
    x0: u32,
}

// x[r, 4kq .. 4kq + 3], 0 past the last row.
fn tile_a(o: TileOperands, r: u32, kq: u32) -> vec4<f32> {
    if r >= p.m {
        return vec4<f32>(0.0);
    }
    return vec4<f32>(x[o.x0 + r * (p.k / 4u) + kq]);
}

// W[c, 4kq .. 4kq + 3] dequantized, 0 past the last row of W.
fn tile_b(o: TileOperands, c: u32, kq: u32) -> vec4<f32> {
    if c >= p.n {
        return vec4<f32>(0.0);
    }
    let b = c * p.blocks + kq / 8u;
    return block_scale(b) * block_quad(b, kq % 8u);
}

// Columns c .. c + 3 of row r.
fn tile_store(o: TileOperands, r: u32, c: u32, v: vec4<f32>) {
    if r >= p.m {
        return;
    }
    let base = p.out_off + r * p.n;
    if c < p.n {
        out[base + c] = T(v.x);
    }
    if c + 1u < p.n {
        out[base + c + 1u] = T(v.y);
    }
    if c + 2u < p.n {
        out[base + c + 2u] = T(v.z);
    }
    if c + 3u < p.n {
        out[base + c + 3u] = T(v.w);
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
    let o = TileOperands(p.x_off / 4u);
    tile_matmul(o, (g / p.col_groups) * TILE, (g % p.col_groups) * TILE, lid, t);
}
