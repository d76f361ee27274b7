// Helpers of the vec4 row kernels (row length a multiple of 4, offsets multiples
// of 4, x and y bound as array<vec4<T>>). VPT (vec4s per thread kept in
// registers) and WG come from the spec's header: rows of at most WG * VPT vec4s
// are read once into registers; longer rows take two passes over memory.

fn max4(v: vec4<f32>) -> f32 {
    return max(max(v.x, v.y), max(v.z, v.w));
}

fn sum4(v: vec4<f32>) -> f32 {
    return (v.x + v.y) + (v.z + v.w);
}
