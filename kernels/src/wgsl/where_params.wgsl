// Parameters of the where/select kernel (WhereParams): the output's shape and
// each operand's strides over it.
struct Params {
    n: u32,
    rank: u32,
    c_off: u32,
    a_off: u32,
    b_off: u32,
    out_off: u32,
    pad0: u32,
    pad1: u32,
    shape: array<vec4<u32>, 2>,
    c_strides: array<vec4<u32>, 2>,
    a_strides: array<vec4<u32>, 2>,
    b_strides: array<vec4<u32>, 2>,
}
