// Q6_K weights as the quantized kernels read them (quant_format.rs): the
// 210-byte ggml super-blocks unchanged, each zero-padded to 224 bytes (14
// vec4<u32>); block b (32 values) is sub-block j = b % 8 of super-block
// s = b / 8, that is quarter g = j % 4 of half n = j / 4. Within the
// super-block's 56 words: ql[128] in words 0..31, qh[64] in words 32..47,
// scales[16] (i8) in words 48..51, d (f16) in the low half of word 52. Value
// l of sub-block j takes nibble g / 2 of ql byte 64n + 32(g % 2) + l, bits
// 2g, 2g + 1 of qh byte 32n + l as bits 4 and 5, minus 32, times
// d * scales[8n + 2g + l / 16], in ggml's order of operations. block_scale is
// 1. The kernel declares `qs`.

// The super-block's two scale multipliers of sub-block j (x: values 0..15,
// y: values 16..31), from the scale words sw = qs[14s + 12] and d's word.
fn q6k_scales(sw: vec4<u32>, dw: u32, j: u32) -> vec2<f32> {
    let n = j / 4u;
    let g = j % 4u;
    // scales[8n + 2g] and the next byte: word 2n + g / 2, bytes 2(g % 2), +1.
    let w = sw[2u * n + g / 2u];
    let shift = (g % 2u) * 16u;
    let pair = vec2<i32>(bitcast<i32>(w << (24u - shift)), bitcast<i32>(w << (16u - shift))) >> vec2<u32>(24u);
    let d = unpack2x16float(dw).x;
    return d * vec2<f32>(pair);
}

// Values 4i .. 4i + 3 of a sub-block from its ql word `l` (nibble at bit
// `ls`) and qh word `h` (2 bits at bit `hs`), times `scale`.
fn q6k_quad(l: u32, h: u32, ls: u32, hs: u32, scale: f32) -> vec4<f32> {
    let bytes = vec4<u32>(0u, 8u, 16u, 24u);
    let lo = (vec4<u32>(l) >> (bytes + vec4<u32>(ls))) & vec4<u32>(15u);
    let hi = (vec4<u32>(h) >> (bytes + vec4<u32>(hs))) & vec4<u32>(3u);
    let q = vec4<i32>(lo | (hi << vec4<u32>(4u))) - vec4<i32>(32);
    return scale * vec4<f32>(q);
}

// The 32 values of block b: values 4i .. 4i + 3 in entry i.
fn block_values(b: u32) -> array<vec4<f32>, 8> {
    let base = (b / 8u) * 14u;
    let j = b % 8u;
    let n = j / 4u;
    let g = j % 4u;
    let s = q6k_scales(qs[base + 12u], qs[base + 13u].x, j);
    // ql: words 16n + 8(g % 2) .. + 7; qh: words 32 + 8n .. + 7.
    let l0 = qs[base + 4u * n + 2u * (g % 2u)];
    let l1 = qs[base + 4u * n + 2u * (g % 2u) + 1u];
    let h0 = qs[base + 8u + 2u * n];
    let h1 = qs[base + 9u + 2u * n];
    let ls = (g / 2u) * 4u;
    let hs = g * 2u;
    return array<vec4<f32>, 8>(
        q6k_quad(l0.x, h0.x, ls, hs, s.x), q6k_quad(l0.y, h0.y, ls, hs, s.x),
        q6k_quad(l0.z, h0.z, ls, hs, s.x), q6k_quad(l0.w, h0.w, ls, hs, s.x),
        q6k_quad(l1.x, h1.x, ls, hs, s.y), q6k_quad(l1.y, h1.y, ls, hs, s.y),
        q6k_quad(l1.z, h1.z, ls, hs, s.y), q6k_quad(l1.w, h1.w, ls, hs, s.y),
    );
}

// Values 4q .. 4q + 3 of block b (q < 8).
fn block_quad(b: u32, q: u32) -> vec4<f32> {
    let base = (b / 8u) * 14u;
    let j = b % 8u;
    let n = j / 4u;
    let g = j % 4u;
    let s = q6k_scales(qs[base + 12u], qs[base + 13u].x, j);
    let l = qs[base + 4u * n + 2u * (g % 2u) + q / 4u][q % 4u];
    let h = qs[base + 8u + 2u * n + q / 4u][q % 4u];
    return q6k_quad(l, h, (g / 2u) * 4u, g * 2u, select(s.x, s.y, q >= 4u));
}

// Every block's scale: the values come out scaled.
fn block_scale(b: u32) -> f32 {
    return 1.0;
}
