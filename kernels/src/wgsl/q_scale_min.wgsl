// Scale and min of the Q4_1 / Q5_1 blocks (quant_format.rs): block b's f16
// d (low half) and m (high half) are scales[b]. The values of these formats
// come out scaled and offset (code * d + m, in ggml's order of operations),
// so block_scale is 1. The kernel declares `scales`.

// (d, m) of block b.
fn block_dm(b: u32) -> vec2<f32> {
    return unpack2x16float(scales[b]);
}

// Every block's scale: the values come out scaled.
fn block_scale(b: u32) -> f32 {
    return 1.0;
}
