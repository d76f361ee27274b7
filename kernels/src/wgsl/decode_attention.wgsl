// Causal attention of a few new tokens over the key/value cache
// (decoding): for query row `row` of key/value head `kv` (q is [kv_heads,
// group * s, head_dim], row g * s + r being head kv * group + g of new token
// r, already scaled), the token sits at position past + r and sees keys
// 0 ..= past + r:
//   out[kv, row] = Σ_j softmax_j(q · keys[kv, j]) · values[kv, j].
// The pair (kv, row) is split into p.splits ranges of p.chunk keys, one
// workgroup of WG threads per (pair, split): workgroup g takes pair
// g / splits and keys [split * chunk, min(visible, split * chunk + chunk)),
// attended by attention_core.wgsl (online softmax, thread t owning output
// dims t, t + WG, t + 2 WG, t + 3 WG; head_dim <= 4 WG).
//
// The header defines T (storage type of q and the caches), O (of out), WG (a
// power of two) and PARTIAL:
// - PARTIAL false (one split: chunk >= visible): out is [kv_heads, rows,
//   head_dim] of T, the normalized result.
// - PARTIAL true: out is f32, head_dim + 2 values per workgroup g at
//   g * (head_dim + 2): the unnormalized sum of weighted values, then the
//   running maximum and sum. An empty range gives (0, NONE, 0).
//   decode_attention_combine.wgsl merges the splits.
// The host checks: q [kv_heads, rows, head_dim] contiguous at q_off, caches
// [kv_heads, capacity, head_dim] at offset 0, s dividing rows, past + s <=
// capacity, head_dim <= 4 WG, groups = kv_heads * rows * splits, out sized
// for the mode; the guards keep the GPU in bounds anyway.
// Params: decode_attention_params.wgsl.

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
    let g = linear_workgroup(wid, nwg);
    // Workgroups past the grid's count: uniform across the workgroup.
    if g >= p.groups {
        return;
    }
    let pair = g / p.splits;
    let split = g % p.splits;
    let kv = pair / p.rows;
    let row = pair % p.rows;
    let d = p.head_dim;
    let visible = min(p.past + row % p.s + 1u, p.capacity);
    let k_begin = split * p.chunk;
    let k_end = min(visible, k_begin + p.chunk);
    let q_base = p.q_off + (kv * p.rows + row) * d;
    for (var i = t; i < d; i = i + WG) {
        q_row[i] = f32(q[q_base + i]);
    }
    workgroupBarrier();
    let a = attend(kv * p.capacity * d, d, k_begin, k_end, t);
    if PARTIAL {
        let part_base = g * (d + 2u);
        for (var u = 0u; u < 4u; u = u + 1u) {
            let i = t + u * WG;
            if i < d {
                out[part_base + i] = O(a.acc[u]);
            }
        }
        if t == 0u {
            out[part_base + d] = O(a.running_max);
            out[part_base + d + 1u] = O(a.running_sum);
        }
        return;
    }
    let out_base = pair * d;
    for (var u = 0u; u < 4u; u = u + 1u) {
        let i = t + u * WG;
        if i < d {
            out[out_base + i] = O(a.acc[u] / a.running_sum);
        }
    }
}
