// Q8_0 quants as the quantized kernels read them (quant_format.rs): block b is
// qs[2b] and qs[2b + 1], the ggml block's 32 signed bytes unchanged, byte i
// (little-endian within each u32) being value i. The kernel declares `qs`.

// vec4<u32> of qs per block.
const QVEC: u32 = 2u;

// The four signed bytes of `w`, lowest first, as f32.
fn i8x4(w: u32) -> vec4<f32> {
    let high = bitcast<vec4<i32>>(vec4<u32>(w) << vec4<u32>(24u, 16u, 8u, 0u));
    return vec4<f32>(high >> vec4<u32>(24u));
}

// The 32 integer values of block b: values 4i .. 4i + 3 in entry i.
fn block_values(b: u32) -> array<vec4<f32>, 8> {
    let lo = qs[b * 2u];
    let hi = qs[b * 2u + 1u];
    return array<vec4<f32>, 8>(
        i8x4(lo.x), i8x4(lo.y), i8x4(lo.z), i8x4(lo.w),
        i8x4(hi.x), i8x4(hi.y), i8x4(hi.z), i8x4(hi.w),
    );
}

// Values 4q .. 4q + 3 of block b (q < 8), as integers.
fn block_quad(b: u32, q: u32) -> vec4<f32> {
    return i8x4(qs[b * 2u + q / 4u][q % 4u]);
}
