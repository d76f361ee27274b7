// Q5_0 values (quant_format.rs; words and codes in q5_codes.wgsl): code - 16
// as integers; block_scale (q_scale.wgsl) gives d, so the kernels compute
// d * (code - 16) as ggml does.

// Quad q of a block from its qh and quant word w, minus 16, as f32.
fn q50_quad(qh: u32, w: u32, q: u32) -> vec4<f32> {
    return vec4<f32>(q5_codes(qh, w, q)) - vec4<f32>(16.0);
}

// The 32 integer values of block b: values 4i .. 4i + 3 in entry i.
fn block_values(b: u32) -> array<vec4<f32>, 8> {
    let h = q5_word(b, 0u);
    let w0 = q5_word(b, 1u);
    let w1 = q5_word(b, 2u);
    let w2 = q5_word(b, 3u);
    let w3 = q5_word(b, 4u);
    return array<vec4<f32>, 8>(
        q50_quad(h, w0, 0u), q50_quad(h, w1, 1u), q50_quad(h, w2, 2u), q50_quad(h, w3, 3u),
        q50_quad(h, w0, 4u), q50_quad(h, w1, 5u), q50_quad(h, w2, 6u), q50_quad(h, w3, 7u),
    );
}

// Values 4q .. 4q + 3 of block b (q < 8), as integers.
fn block_quad(b: u32, q: u32) -> vec4<f32> {
    return q50_quad(q5_word(b, 0u), q5_word(b, 1u + q % 4u), q);
}
