// Strided addressing, shared by the kernels that walk an index space through
// strides (copy, binary, where, the softmax mask). The kernel's Params has
// `shape` (array<vec4<u32>, 2>: dim k at [k / 4][k % 4]), and the kernel
// defines strides_at(k): the strides of its (up to three) operands along dim
// k, 0 for an operand it does not use.

// The offsets of the operands at linear index i of the first `rank` dims of
// p.shape (row-major: the last of them varies fastest), starting from `base`.
// The caller clamps rank to MAX_RANK so that no rank from the host can index
// past the shape and stride arrays.
fn strided_offsets(i: u32, rank: u32, base: vec3<u32>) -> vec3<u32> {
    var rem = i;
    var off = base;
    for (var d = rank; d > 0u; d = d - 1u) {
        let k = d - 1u;
        let size = p.shape[k / 4u][k % 4u];
        off = off + (rem % size) * strides_at(k);
        rem = rem / size;
    }
    return off;
}
