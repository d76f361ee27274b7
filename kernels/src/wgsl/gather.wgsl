// Embedding lookup: out[r, c] = table[ids[r], c] for ids inside the table, else 0.
// The host rejects out-of-range ids first; the guard keeps the GPU in bounds anyway.

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
    if in_table(id, p.rows) {
        out[p.out_off + i] = table[p.table_off + u32(id) * p.cols + c];
    } else {
        out[p.out_off + i] = T(0.0);
    }
}
