// Parameters of the unary and affine kernels, scalar and vec4 (UnaryParams):
// contiguous ranges of n elements at x_off and y_off; scale and bias are the
// affine kernels' only.
struct Params {
    n: u32,
    x_off: u32,
    y_off: u32,
    pad0: u32,
    scale: f32,
    bias: f32,
    pad1: u32,
    pad2: u32,
}
