// Q5_0 / Q5_1 quants as the quantized kernels read them (quant_format.rs):
// block b is the five u32 words 5b .. 5b + 4 of qs, with no padding between
// blocks (its d, and m for Q5_1, are in `scales`), so a block straddles
// vec4s and is read one word at a time. Word 5b is the ggml block's qh, words
// 5b + 1 .. 5b + 4 its 16 bytes qs. Value j < 16 is the low nibble of qs byte
// j with bit j of qh as bit 4, value j + 16 the high nibble with bit j + 16:
// so quad q (values 4q .. 4q + 3) takes nibble q / 4 (low first) of the four
// bytes of word 5b + 1 + q % 4, and bits 4q .. 4q + 3 of qh. The kernel
// declares `qs`.

// Word i (< 5) of block b.
fn q5_word(b: u32, i: u32) -> u32 {
    let w = b * 5u + i;
    return qs[w / 4u][w % 4u];
}

// The 5-bit codes (0 .. 31) of quad q of a block, from its qh and quant
// word w (word 1 + q % 4).
fn q5_codes(qh: u32, w: u32, q: u32) -> vec4<u32> {
    let lo = (vec4<u32>(w) >> (vec4<u32>(0u, 8u, 16u, 24u) + vec4<u32>((q / 4u) * 4u))) & vec4<u32>(15u);
    let hi = (vec4<u32>(qh) >> (vec4<u32>(0u, 1u, 2u, 3u) + vec4<u32>(4u * q))) & vec4<u32>(1u);
    return lo | (hi << vec4<u32>(4u));
}
