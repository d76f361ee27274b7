// Rotary position embedding in the half-split layout of Hugging Face's Llama and
// Qwen2 (`rotate_half`): for row r (a token at position pos0 + r), head h and
// i < half,
//   out[i]        = (x[i] * cos - x[i + half] * sin) * scale
//   out[i + half] = (x[i + half] * cos + x[i] * sin) * scale
// with cos/sin read from host-computed tables [positions, half]. The host checks
// pos0 + rows <= positions; the guard below keeps the GPU in bounds anyway.
struct Params {
    n: u32,        // rows * heads * half (one thread per rotated pair)
    heads: u32,
    half: u32,
    pos0: u32,
    positions: u32,
    x_off: u32,
    out_off: u32,
    scale: f32,
}

@group(0) @binding(0) var<storage, read> x: array<T>;
@group(0) @binding(1) var<storage, read> cos_table: array<f32>;
@group(0) @binding(2) var<storage, read> sin_table: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<T>;
@group(0) @binding(4) var<uniform> p: Params;

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
