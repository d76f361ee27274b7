// Batched C[b] = A[b] · B[b] with strided A and B, 64x64 output tile per 8x8
// workgroup; each thread owns an 8x8 block. The main loop (staging, the
// register-block FMAs, the stores) is matmul_tile.wgsl's; this kernel gives it
// A and B through bounds-checked strided loads (zero outside, matmul_common's
// load_a / load_b) and the guarded store_row.

// Where batch `wid.z`'s matrices start, and its row count (0 past the batch
// count, so such a workgroup loads zeros and stores nothing).
struct TileOperands {
    a_base: u32,
    b_base: u32,
    c_base: u32,
    m: u32,
}

fn tile_a(o: TileOperands, r: u32, kq: u32) -> vec4<f32> {
    let k = kq * 4u;
    return vec4<f32>(load_a(o.a_base, r, k, o.m), load_a(o.a_base, r, k + 1u, o.m),
                     load_a(o.a_base, r, k + 2u, o.m), load_a(o.a_base, r, k + 3u, o.m));
}

fn tile_b(o: TileOperands, c: u32, kq: u32) -> vec4<f32> {
    let k = kq * 4u;
    return vec4<f32>(load_b(o.b_base, k, c), load_b(o.b_base, k + 1u, c),
                     load_b(o.b_base, k + 2u, c), load_b(o.b_base, k + 3u, c));
}

fn tile_store(o: TileOperands, r: u32, c: u32, v: vec4<f32>) {
    store_row(o.c_base, r, c, o.m, v);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
    let batch = wid.z;
    let o = TileOperands(
        p.a_off + batch * p.a_sb,
        p.b_off + batch * p.b_sb,
        p.c_off + batch * p.m * p.n,
        select(0u, p.m, batch < p.batch),
    );
    tile_matmul(o, wid.y * TILE, wid.x * TILE, lid, t);
}
