// The main loop of the 64x64 matmul tiles with few, fat invocations, shared by
// the dense tile (matmul_8x8.wgsl: strided A and B) and the quantized one
// (matmul_quant_fat.wgsl: B a weight dequantized as it is staged). Software
// adapters (lavapipe, llvmpipe) run a workgroup's invocations as SIMD chunks
// and pay per chunk at every barrier, hence few, fat invocations.
//
// C[r, c] = Σ_k A[r, k] · B[k, c] over the TILE x TILE tile at (row0, col0).
// An 8x8 workgroup; thread (lx, ly) owns rows 8ly .. 8ly + 7 and columns
// 8lx .. 8lx + 7 in sixteen vec4 accumulators (row i, column quad j at 2i + j;
// constant indices only). Per step of BK values of k the workgroup stages A
// and B as [kk][row / 4] and [kk][col / 4] vec4 tiles: thread t loads k-quad
// t / 16 of the step for four rows of A (rows 4 (t % 16) ..) and four columns
// of B, and transposes each set into four entries of its tile. Then per kk two
// vec4s of each tile feed 16 vec4 FMAs (an outer product). Stores go through
// the kernel's guarded store, four columns at a time.
//
// The kernel supplies, for a struct TileOperands of its own (what its loads
// and stores need: offsets, row counts):
// - fn tile_a(o: TileOperands, r: u32, kq: u32) -> vec4<f32>:
//   A[r, 4kq .. 4kq + 3], zero outside A;
// - fn tile_b(o: TileOperands, c: u32, kq: u32) -> vec4<f32>:
//   B[4kq .. 4kq + 3, c] (row c of a weight W = Bᵀ), zero outside B;
// - fn tile_store(o: TileOperands, r: u32, c: u32, v: vec4<f32>):
//   C[r, c .. c + 3] = v where inside C;
// and calls tile_matmul from main. The depth is p.k (a uniform, so every
// invocation meets the same barriers).
const TILE: u32 = 64u;
const BK: u32 = 16u;

var<workgroup> a_tile: array<vec4<f32>, 256>; // [kk][row / 4]: BK x TILE / 4
var<workgroup> b_tile: array<vec4<f32>, 256>; // [kk][col / 4]: BK x TILE / 4

// Four k-quads (one per row or column), transposed: entry i holds component i
// of each, the values at kk = 4q + i of a [kk][quad] tile.
fn transpose4(v0: vec4<f32>, v1: vec4<f32>, v2: vec4<f32>, v3: vec4<f32>) -> array<vec4<f32>, 4> {
    return array<vec4<f32>, 4>(
        vec4<f32>(v0.x, v1.x, v2.x, v3.x),
        vec4<f32>(v0.y, v1.y, v2.y, v3.y),
        vec4<f32>(v0.z, v1.z, v2.z, v3.z),
        vec4<f32>(v0.w, v1.w, v2.w, v3.w),
    );
}

// The tile at (row0, col0) of C for invocation lid (local index t).
fn tile_matmul(o: TileOperands, row0: u32, col0: u32, lid: vec3<u32>, t: u32) {
    var acc: array<vec4<f32>, 16>;
    for (var i = 0u; i < 16u; i = i + 1u) {
        acc[i] = vec4<f32>(0.0);
    }
    // What this invocation stages: row / column quad t % 16, k-quad t / 16 of
    // each step, into entries e, e + 16, e + 32, e + 48 of each tile.
    let quad = t % 16u;
    let r = row0 + quad * 4u;
    let c = col0 + quad * 4u;
    let e = (t / 16u) * 64u + quad;
    for (var k0 = 0u; k0 < p.k; k0 = k0 + BK) {
        let kq = k0 / 4u + t / 16u;
        let av = transpose4(tile_a(o, r, kq), tile_a(o, r + 1u, kq),
                            tile_a(o, r + 2u, kq), tile_a(o, r + 3u, kq));
        let bs = transpose4(tile_b(o, c, kq), tile_b(o, c + 1u, kq),
                            tile_b(o, c + 2u, kq), tile_b(o, c + 3u, kq));
        a_tile[e] = av[0];
        a_tile[e + 16u] = av[1];
        a_tile[e + 32u] = av[2];
        a_tile[e + 48u] = av[3];
        b_tile[e] = bs[0];
        b_tile[e + 16u] = bs[1];
        b_tile[e + 32u] = bs[2];
        b_tile[e + 48u] = bs[3];
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
    let sr = row0 + lid.y * 8u;
    let sc = col0 + lid.x * 8u;
    for (var i = 0u; i < 8u; i = i + 1u) {
        tile_store(o, sr + i, sc, acc[i * 2u]);
        tile_store(o, sr + i, sc + 4u, acc[i * 2u + 1u]);
    }
}
