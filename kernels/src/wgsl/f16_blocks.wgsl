// F16 weights (GGML type F16) as the quantized kernels read them
// (quant_format.rs): block b is qs[4b] .. qs[4b + 3], the block's 32 f16 values
// unchanged, two per u32 (value 2i in the low half of word i). There is no
// scale: block_scale is 1 and the kernel's `scales` binding is not read. The
// kernel declares `qs`.

// vec4<u32> of qs per block.
const QVEC: u32 = 4u;

// The four f16 values of two words, lowest first, as f32.
fn h4(w: vec2<u32>) -> vec4<f32> {
    return vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y));
}

// The 32 values of block b: values 4i .. 4i + 3 in entry i.
fn block_values(b: u32) -> array<vec4<f32>, 8> {
    let a = qs[b * 4u];
    let c = qs[b * 4u + 1u];
    let e = qs[b * 4u + 2u];
    let g = qs[b * 4u + 3u];
    return array<vec4<f32>, 8>(
        h4(a.xy), h4(a.zw), h4(c.xy), h4(c.zw),
        h4(e.xy), h4(e.zw), h4(g.xy), h4(g.zw),
    );
}

// Values 4q .. 4q + 3 of block b (q < 8).
fn block_quad(b: u32, q: u32) -> vec4<f32> {
    let w = qs[b * 4u + q / 2u];
    return select(h4(w.xy), h4(w.zw), (q & 1u) == 1u);
}

// Every block's scale: the values are stored as they are.
fn block_scale(b: u32) -> f32 {
    return 1.0;
}
