// What qkv_rope.wgsl and slotted_qkv_rope.wgsl share: one rotated pair
// (i, i + half) of head slot j (q heads, then k heads, then v heads) of row r
// of the fused projection x [rows, (heads + 2 kv_heads) * 2 half], at
// position pos: bias added (when has_bias), q and k rotated in the half-split
// layout of Hugging Face's Llama and Qwen2 (`rotate_half`), q scaled by
// q_scale. v head kv goes to values element cache_base + (kv * capacity +
// pos) * head_dim, k head kv to keys at the same place rotated, q head j to
// q_out row q_row. The caller checks pos against the tables and the caches.
// Params used: heads, kv_heads, half, capacity, x_off, has_bias, q_scale.

fn biased(at: u32, b: u32) -> f32 {
    var v = f32(x[p.x_off + at]);
    if p.has_bias != 0u {
        v = v + f32(bias[b]);
    }
    return v;
}

fn rope_pair(r: u32, j: u32, i: u32, pos: u32, cache_base: u32, q_row: u32) {
    let all_heads = p.heads + 2u * p.kv_heads;
    let d = 2u * p.half;
    let a = biased(r * all_heads * d + j * d + i, j * d + i);
    let b = biased(r * all_heads * d + j * d + i + p.half, j * d + i + p.half);
    if j >= p.heads + p.kv_heads {
        let dst = cache_base + ((j - p.heads - p.kv_heads) * p.capacity + pos) * d;
        values[dst + i] = T(a);
        values[dst + i + p.half] = T(b);
        return;
    }
    let c = cos_table[pos * p.half + i];
    let s = sin_table[pos * p.half + i];
    let lo = a * c - b * s;
    let hi = b * c + a * s;
    if j >= p.heads {
        let dst = cache_base + ((j - p.heads) * p.capacity + pos) * d;
        keys[dst + i] = T(lo);
        keys[dst + i + p.half] = T(hi);
        return;
    }
    let dst = q_row * d;
    q_out[dst + i] = T(lo * p.q_scale);
    q_out[dst + i + p.half] = T(hi * p.q_scale);
}
