// Decode attention of a batch of sequences over a slotted key/value pool:
// row r of the batch (one new token) belongs to slot table[2 r] and sits at
// position table[2 r + 1]; its query head h (q is [rows, heads, head_dim],
// already scaled) attends over keys 0 ..= position of its slot's key/value
// head kv = h / group:
//   out[r, h] = Σ_j softmax_j(q[r, h] · keys[slot, kv, j]) · values[slot, kv, j].
// The pool is [slots, kv_heads, capacity, head_dim] with slot_stride elements
// per slot (at least kv_heads * capacity * head_dim). One workgroup of WG
// threads per (row, head): workgroup g takes row g / heads, head g % heads,
// attended by attention_core.wgsl. out is [rows, heads, head_dim], the input
// of the output projection.
// The header defines T (storage type of q, the pool and out), WG (a power of
// two). The host checks: q [rows, heads, head_dim] contiguous at q_off, the
// pool contiguous at offset 0, every slot < slots and position < capacity,
// head_dim <= 4 WG, groups = rows * heads; the guards keep the GPU in bounds
// anyway. Params: slotted_attention_params.wgsl.

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
    let g = linear_workgroup(wid, nwg);
    // Workgroups past the grid's count: uniform across the workgroup.
    if g >= p.groups {
        return;
    }
    let row = g / p.heads;
    let head = g % p.heads;
    let kv = head / (p.heads / p.kv_heads);
    let d = p.head_dim;
    // The table is read-only storage: the same value in every thread.
    let slot = table[2u * row];
    let visible = min(table[2u * row + 1u] + 1u, p.capacity);
    let q_base = p.q_off + g * d;
    for (var i = t; i < d; i = i + WG) {
        q_row[i] = f32(q[q_base + i]);
    }
    workgroupBarrier();
    let a = attend(slot * p.slot_stride + kv * p.capacity * d, d, 0u, visible, t);
    let out_base = g * d;
    for (var u = 0u; u < 4u; u = u + 1u) {
        let i = t + u * WG;
        if i < d {
            out[out_base + i] = T(a.acc[u] / a.running_sum);
        }
    }
}
