// Softmax parameters and the mask's row addressing, shared by the general and
// vec4 softmax kernels (softmax_common.wgsl + softmax[_vec4].wgsl).
struct Params {
    rows: u32,
    n: u32,
    x_off: u32,
    y_off: u32,
    m_off: u32,
    rank: u32,
    pad0: u32,
    pad1: u32,
    shape: array<vec4<u32>, 2>,
    m_strides: array<vec4<u32>, 2>,
}

// Offset of the mask row for `row`: decompose it over the leading dims.
fn mask_row_offset(row: u32) -> u32 {
    var rem = row;
    var off = p.m_off;
    // rank is 1..=8 by contract; clamping keeps a bad uniform from looping for ever.
    for (var d = clamp(p.rank, 1u, 8u) - 1u; d > 0u; d = d - 1u) {
        let k = d - 1u;
        let size = p.shape[k / 4u][k % 4u];
        off = off + (rem % size) * p.m_strides[k / 4u][k % 4u];
        rem = rem / size;
    }
    return off;
}
