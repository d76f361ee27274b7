// Q5_1 values (quant_format.rs; words and codes in q5_codes.wgsl, d and m in
// q_scale_min.wgsl): code * d + m, in ggml's order of operations (a GPU may
// fuse it into one FMA); block_scale is 1.

// Quad q of a block from its qh and quant word w, times d plus m (`dm`).
fn q51_quad(qh: u32, w: u32, q: u32, dm: vec2<f32>) -> vec4<f32> {
    return vec4<f32>(q5_codes(qh, w, q)) * dm.x + vec4<f32>(dm.y);
}

// The 32 values of block b: values 4i .. 4i + 3 in entry i.
fn block_values(b: u32) -> array<vec4<f32>, 8> {
    let dm = block_dm(b);
    let h = q5_word(b, 0u);
    let w0 = q5_word(b, 1u);
    let w1 = q5_word(b, 2u);
    let w2 = q5_word(b, 3u);
    let w3 = q5_word(b, 4u);
    return array<vec4<f32>, 8>(
        q51_quad(h, w0, 0u, dm), q51_quad(h, w1, 1u, dm), q51_quad(h, w2, 2u, dm), q51_quad(h, w3, 3u, dm),
        q51_quad(h, w0, 4u, dm), q51_quad(h, w1, 5u, dm), q51_quad(h, w2, 6u, dm), q51_quad(h, w3, 7u, dm),
    );
}

// Values 4q .. 4q + 3 of block b (q < 8).
fn block_quad(b: u32, q: u32) -> vec4<f32> {
    return q51_quad(q5_word(b, 0u), q5_word(b, 1u + q % 4u), q, block_dm(b));
}
