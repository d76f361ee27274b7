// Q4_1 quants as the quantized kernels read them (quant_format.rs): block b is
// qs[b], the ggml block's 16 quant bytes unchanged (its d and m are in
// `scales`, see q_scale_min.wgsl). Byte j (little-endian within each u32)
// holds value j in its low nibble and value j + 16 in its high nibble; a
// value is code * d + m, in ggml's order of operations (a GPU may fuse it
// into one FMA). The kernel declares `qs`.

// The nibbles at bit `shift` of the four bytes of `w`, lowest byte first,
// times d plus m (`dm`).
fn q41_nib4(w: u32, shift: u32, dm: vec2<f32>) -> vec4<f32> {
    let q = (vec4<u32>(w) >> (vec4<u32>(0u, 8u, 16u, 24u) + vec4<u32>(shift))) & vec4<u32>(15u);
    return vec4<f32>(q) * dm.x + vec4<f32>(dm.y);
}

// The 32 values of block b: values 4i .. 4i + 3 in entry i.
fn block_values(b: u32) -> array<vec4<f32>, 8> {
    let v = qs[b];
    let dm = block_dm(b);
    return array<vec4<f32>, 8>(
        q41_nib4(v.x, 0u, dm), q41_nib4(v.y, 0u, dm), q41_nib4(v.z, 0u, dm), q41_nib4(v.w, 0u, dm),
        q41_nib4(v.x, 4u, dm), q41_nib4(v.y, 4u, dm), q41_nib4(v.z, 4u, dm), q41_nib4(v.w, 4u, dm),
    );
}

// Values 4q .. 4q + 3 of block b (q < 8).
fn block_quad(b: u32, q: u32) -> vec4<f32> {
    return q41_nib4(qs[b][q % 4u], (q / 4u) * 4u, block_dm(b));
}
