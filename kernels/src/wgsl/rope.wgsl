// Rotary position embedding in the half-split layout of Hugging Face's Llama and
// Qwen2 (`rotate_half`): for row r (a token at position pos0 + r), head h and
// i < half,
//   out[i]        = (x[i] * cos - x[i + half] * sin) * scale
//   out[i + half] = (x[i + half] * cos + x[i] * sin) * scale
// with cos/sin read from host-computed tables [positions, half]. The host checks
// pos0 + rows <= positions; the guard below keeps the GPU in bounds anyway.

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let t = linear_workgroup(wid, nwg) * WG + lid;
    if t >= p.n {
        return;
    }
    let i = t % p.half;
    let rh = t / p.half; // row * heads + head
    let row = rh / p.heads;
    let pos = p.pos0 + row;
    if pos >= p.positions {
        return;
    }
    let c = cos_table[pos * p.half + i];
    let s = sin_table[pos * p.half + i];
    let base = rh * 2u * p.half;
    let a = f32(x[p.x_off + base + i]);
    let b = f32(x[p.x_off + base + i + p.half]);
    out[p.out_off + base + i] = T((a * c - b * s) * p.scale);
    out[p.out_off + base + i + p.half] = T((b * c + a * s) * p.scale);
}
