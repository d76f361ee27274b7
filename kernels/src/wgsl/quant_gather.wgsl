// Row gather from a quantized table (embedding lookup):
// out[r, c] = W[ids[r], c] dequantized to f32 for ids inside the table, else 0.
// The host rejects out-of-range ids first; the guard keeps the GPU in bounds
// anyway. The header defines I (id type) and in_table.

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
