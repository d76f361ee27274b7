// Parameters of softmax, scalar and vec4 (SoftmaxParams): `rows` rows of `n`;
// the mask is addressed through strides over the input's full shape (0 on
// broadcast dims).
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
