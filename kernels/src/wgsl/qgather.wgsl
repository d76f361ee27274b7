// Row gather from a quantized table (embedding lookup):
// out[r, c] = W[ids[r], c] dequantized to f32 for ids inside the table, else 0.
// The host rejects out-of-range ids first; the guard keeps the GPU in bounds
// anyway. The header defines I (id type) and in_table.
struct Params {
    n: u32,
    cols: u32,
    rows: u32,
    blocks: u32,
    ids_off: u32,
    out_off: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<storage, read> qs: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> scales: array<u32>;
@group(0) @binding(2) var<storage, read> ids: array<I>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_workgroup(wid, nwg) * WG + lid;
    if i >= p.n {
        return;
    }
    let r = i / p.cols;
    let c = i % p.cols;
    let id = ids[p.ids_off + r];
    var v = 0.0;
    if in_table(id, p.rows) {
        let b = u32(id) * p.blocks + c / 32u;
        let j = c % 32u;
        v = block_scale(b) * block_quad(b, j / 4u)[j % 4u];
    }
    out[p.out_off + i] = v;
}
