// The attention inputs of one decoder layer from its fused q/k/v projection
// x [rows, (HEADS + 2 KV) * 2 half] (q heads, then k heads, then v heads), in
// one pass: bias added, q and k rotated in the half-split layout of Hugging
// Face's Llama and Qwen2 (`rotate_half`) at positions pos0 + row, q scaled,
// and everything written where attention reads it:
// - q head h = kv * group + g of row r to q_out row (kv * group + g) * rows + r
//   (the [kv, group * rows, head_dim] layout of grouped-query attention);
// - k head kv of row r to keys row kv * capacity + pos0 + r, v likewise to
//   values (the [kv, capacity, head_dim] caches).
// One thread per rotated pair (i, i + half) of one head of one row.
// The host checks pos0 + rows <= positions and <= capacity, bias of
// (HEADS + 2 KV) * head_dim values when has_bias, q_out of HEADS * rows *
// head_dim; the guards below keep the GPU in bounds anyway.

override WG: u32 = 256u;

fn biased(at: u32, b: u32) -> f32 {
    var v = f32(x[p.x_off + at]);
    if p.has_bias != 0u {
        v = v + f32(bias[b]);
    }
    return v;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let t = linear_workgroup(wid, nwg) * WG + lid;
    if t >= p.n {
        return;
    }
    let all_heads = p.heads + 2u * p.kv_heads;
    let d = 2u * p.half;
    let i = t % p.half;
    let rj = t / p.half;
    let j = rj % all_heads; // head slot: q heads, k heads, v heads
    let r = rj / all_heads;
    let pos = p.pos0 + r;
    if pos >= p.positions || pos >= p.capacity {
        return;
    }
    let a = biased(r * all_heads * d + j * d + i, j * d + i);
    let b = biased(r * all_heads * d + j * d + i + p.half, j * d + i + p.half);
    if j >= p.heads + p.kv_heads {
        let dst = ((j - p.heads - p.kv_heads) * p.capacity + pos) * d;
        values[dst + i] = T(a);
        values[dst + i + p.half] = T(b);
        return;
    }
    let c = cos_table[pos * p.half + i];
    let s = sin_table[pos * p.half + i];
    let lo = a * c - b * s;
    let hi = b * c + a * s;
    if j >= p.heads {
        let dst = ((j - p.heads) * p.capacity + pos) * d;
        keys[dst + i] = T(lo);
        keys[dst + i + p.half] = T(hi);
        return;
    }
    // Query head j = kv * group + g lands in row j * rows + r.
    let dst = (j * p.rows + r) * d;
    q_out[dst + i] = T(lo * p.q_scale);
    q_out[dst + i + p.half] = T(hi * p.q_scale);
}
