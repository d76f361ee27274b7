// The attention inputs of one decoder layer from its fused q/k/v projection
// x [rows, (HEADS + 2 KV) * 2 half] (q heads, then k heads, then v heads), in
// one pass: bias added, q and k rotated in the half-split layout of Hugging
// Face's Llama and Qwen2 (`rotate_half`) at positions pos0 + row, q scaled,
// and everything written where attention reads it:
// - q head h = kv * group + g of row r to q_out row (kv * group + g) * rows + r
//   (the [kv, group * rows, head_dim] layout of grouped-query attention);
// - k head kv of row r to keys row kv * capacity + pos0 + r, v likewise to
//   values (the [kv, capacity, head_dim] caches).
// One thread per rotated pair (i, i + half) of one head of one row
// (qkv_rope_core.wgsl).
// The host checks pos0 + rows <= positions and <= capacity, bias of
// (HEADS + 2 KV) * head_dim values when has_bias, q_out of HEADS * rows *
// head_dim; the guards below keep the GPU in bounds anyway.

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let t = linear_workgroup(wid, nwg) * WG + lid;
    if t >= p.n {
        return;
    }
    let all_heads = p.heads + 2u * p.kv_heads;
    let i = t % p.half;
    let rj = t / p.half;
    let j = rj % all_heads; // head slot: q heads, k heads, v heads
    let r = rj / all_heads;
    let pos = p.pos0 + r;
    if pos >= p.positions || pos >= p.capacity {
        return;
    }
    // Query head j = kv * group + g lands in row j * rows + r.
    rope_pair(r, j, i, pos, 0u, j * p.rows + r);
}
