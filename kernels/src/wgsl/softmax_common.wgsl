// The mask's addressing, shared by the general and vec4 softmax kernels
// (softmax_common.wgsl + softmax[_vec4].wgsl, after strided.wgsl). rank is
// 1..=MAX_RANK by contract; clamping keeps a bad uniform from looping for ever
// or indexing past the arrays.

// Strides of the mask along dim k.
fn strides_at(k: u32) -> vec3<u32> {
    return vec3<u32>(p.m_strides[k / 4u][k % 4u], 0u, 0u);
}

// Offset of the mask row for `row`: decompose it over the leading dims.
fn mask_row_offset(row: u32) -> u32 {
    return strided_offsets(row, clamp(p.rank, 1u, MAX_RANK) - 1u, vec3<u32>(p.m_off, 0u, 0u)).x;
}

// The mask's stride along the last dim.
fn mask_col_stride() -> u32 {
    return strides_at(clamp(p.rank, 1u, MAX_RANK) - 1u).x;
}
