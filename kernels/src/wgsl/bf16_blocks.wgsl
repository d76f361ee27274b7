// BF16 weights (GGML type BF16) as the quantized kernels read them
// (quant_format.rs): block b is qs[4b] .. qs[4b + 3], the block's 32 bf16
// values unchanged, two per u32 (value 2i in the low half of word i). A bf16
// is the high half of an f32, so a value widens exactly by a shift. There is
// no scale: block_scale is 1 and the kernel's `scales` binding is not read. The
// kernel declares `qs`.

// vec4<u32> of qs per block.
const QVEC: u32 = 4u;

// The four bf16 values of two words, lowest first, as f32.
fn b4(w: vec2<u32>) -> vec4<f32> {
    let v = vec4<u32>(w.x, w.x, w.y, w.y);
    return bitcast<vec4<f32>>((v << vec4<u32>(16u, 0u, 16u, 0u)) & vec4<u32>(0xffff0000u));
}

// The 32 values of block b: values 4i .. 4i + 3 in entry i.
fn block_values(b: u32) -> array<vec4<f32>, 8> {
    let a = qs[b * 4u];
    let c = qs[b * 4u + 1u];
    let e = qs[b * 4u + 2u];
    let g = qs[b * 4u + 3u];
    return array<vec4<f32>, 8>(
        b4(a.xy), b4(a.zw), b4(c.xy), b4(c.zw),
        b4(e.xy), b4(e.zw), b4(g.xy), b4(g.zw),
    );
}

// Values 4q .. 4q + 3 of block b (q < 8).
fn block_quad(b: u32, q: u32) -> vec4<f32> {
    let w = qs[b * 4u + q / 2u];
    return select(b4(w.xy), b4(w.zw), (q & 1u) == 1u);
}

// Every block's scale: the values are stored as they are.
fn block_scale(b: u32) -> f32 {
    return 1.0;
}
