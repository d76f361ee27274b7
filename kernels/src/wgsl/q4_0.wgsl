// Q4_0 quants as the quantized kernels read them (quant_format.rs): block b is
// qs[b], the ggml block's 16 bytes unchanged. Byte j (little-endian within
// each u32) holds value j in its low nibble and value j + 16 in its high
// nibble, each offset by 8. The kernel declares `qs`.

// vec4<u32> of qs per block.
const QVEC: u32 = 1u;

// The nibbles at bit `shift` of the four bytes of `w`, lowest byte first,
// minus 8, as f32.
fn nib4(w: u32, shift: u32) -> vec4<f32> {
    let q = (vec4<u32>(w) >> (vec4<u32>(0u, 8u, 16u, 24u) + vec4<u32>(shift))) & vec4<u32>(15u);
    return vec4<f32>(q) - vec4<f32>(8.0);
}

// The 32 integer values of block b: values 4i .. 4i + 3 in entry i.
fn block_values(b: u32) -> array<vec4<f32>, 8> {
    let v = qs[b];
    return array<vec4<f32>, 8>(
        nib4(v.x, 0u), nib4(v.y, 0u), nib4(v.z, 0u), nib4(v.w, 0u),
        nib4(v.x, 4u), nib4(v.y, 4u), nib4(v.z, 4u), nib4(v.w, 4u),
    );
}

// Values 4q .. 4q + 3 of block b (q < 8), as integers.
fn block_quad(b: u32, q: u32) -> vec4<f32> {
    return nib4(qs[b][q % 4u], (q / 4u) * 4u);
}
