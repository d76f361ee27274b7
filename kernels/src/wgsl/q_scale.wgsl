// Block scales of the quantized kernels (quant_format.rs): the f16 scale of
// block b (blocks numbered row-major: row * blocks_per_row + block) is half
// b % 2 of scales[b / 2]. The kernel declares `scales`.
fn block_scale(b: u32) -> f32 {
    let pair = unpack2x16float(scales[b / 2u]);
    return select(pair.x, pair.y, (b & 1u) == 1u);
}
