// The attention inputs of a batch of sequences, one new token each, from the
// fused q/k/v projection x [rows, (HEADS + 2 KV) * 2 half] (q heads, then k
// heads, then v heads): bias added, q and k rotated in the half-split layout
// of Hugging Face's Llama and Qwen2 (`rotate_half`) at each row's own
// position, q scaled, and written where slotted_attention.wgsl reads them.
// Row r belongs to slot table[2 r] and sits at position table[2 r + 1]:
// - q head h of row r goes to q_out row r * heads + h ([rows, heads,
//   head_dim]);
// - k head kv of row r goes to keys element slot * slot_stride + (kv *
//   capacity + position) * head_dim, v likewise to values (a pool of
//   [kv, capacity, head_dim] caches, slot_stride elements apart).
// One thread per rotated pair (i, i + half) of one head of one row
// (qkv_rope_core.wgsl).
// The host checks every slot < slots, position < positions and < capacity,
// one row per slot, bias of (HEADS + 2 KV) * head_dim values when has_bias,
// q_out of rows * heads * head_dim; the guards keep the GPU in bounds anyway.
// Params: slotted_qkv_rope_params.wgsl.

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
    let slot_base = table[2u * r] * p.slot_stride;
    let pos = table[2u * r + 1u];
    if pos >= p.positions || pos >= p.capacity {
        return;
    }
    rope_pair(r, j, i, pos, slot_base, r * p.heads + j);
}
