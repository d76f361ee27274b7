// Q4_K weights as the quantized kernels read them (quant_format.rs): the
// 144-byte ggml super-blocks unchanged, 9 vec4<u32> each; block b (32 values)
// is sub-block j = b % 8 of super-block s = b / 8. In qs[9s]: x holds d (low
// half) and dmin (high half) as f16, y, z, w the 12 bytes of packed 6-bit
// scales and mins. The 128 quant bytes follow in qs[9s + 1] .. qs[9s + 8]:
// sub-block j reads the 32 bytes at qs[9s + 1 + 2(j / 2)] and the next vec4,
// byte l (little-endian within each u32) holding value l in its low nibble
// (even j) or high nibble (odd j). A value is (d * sc) * q - dmin * m, in
// ggml's order of operations; block_scale is 1. The kernel declares `qs`.

// The 6-bit scale (x) and min (y) of sub-block j from header h = qs[9s].
fn q4k_scale_min(h: vec4<u32>, j: u32) -> vec2<u32> {
    let shift = (j % 4u) * 8u;
    let a = (h.y >> shift) & 0xFFu; // scales[j % 4]
    let c = (h.z >> shift) & 0xFFu; // scales[4 + j % 4]
    let e = (h.w >> shift) & 0xFFu; // scales[8 + j % 4]
    let low = vec2<u32>(a & 63u, c & 63u);
    let high = vec2<u32>((e & 15u) | ((a >> 6u) << 4u), (e >> 4u) | ((c >> 6u) << 4u));
    return select(high, low, j < 4u);
}

// The multiplier (x: d * sc) and offset (y: dmin * m) of sub-block j.
fn q4k_scale(h: vec4<u32>, j: u32) -> vec2<f32> {
    let dm = unpack2x16float(h.x);
    let sm = vec2<f32>(q4k_scale_min(h, j));
    return dm * sm;
}

// The nibbles at bit `shift` of the four bytes of `w`, lowest byte first,
// dequantized with multiplier and offset `so`.
fn q4k_nib4(w: u32, shift: u32, so: vec2<f32>) -> vec4<f32> {
    let q = (vec4<u32>(w) >> (vec4<u32>(0u, 8u, 16u, 24u) + vec4<u32>(shift))) & vec4<u32>(15u);
    return so.x * vec4<f32>(q) - vec4<f32>(so.y);
}

// The 32 values of block b: values 4i .. 4i + 3 in entry i.
fn block_values(b: u32) -> array<vec4<f32>, 8> {
    let base = (b / 8u) * 9u;
    let j = b % 8u;
    let so = q4k_scale(qs[base], j);
    let lo = qs[base + 1u + (j / 2u) * 2u];
    let hi = qs[base + 2u + (j / 2u) * 2u];
    let shift = (j % 2u) * 4u;
    return array<vec4<f32>, 8>(
        q4k_nib4(lo.x, shift, so), q4k_nib4(lo.y, shift, so),
        q4k_nib4(lo.z, shift, so), q4k_nib4(lo.w, shift, so),
        q4k_nib4(hi.x, shift, so), q4k_nib4(hi.y, shift, so),
        q4k_nib4(hi.z, shift, so), q4k_nib4(hi.w, shift, so),
    );
}

// Values 4q .. 4q + 3 of block b (q < 8).
fn block_quad(b: u32, q: u32) -> vec4<f32> {
    let base = (b / 8u) * 9u;
    let j = b % 8u;
    let w = qs[base + 1u + (j / 2u) * 2u + q / 4u][q % 4u];
    return q4k_nib4(w, (j % 2u) * 4u, q4k_scale(qs[base], j));
}

// Every block's scale: the values come out scaled.
fn block_scale(b: u32) -> f32 {
    return 1.0;
}
