// Parameters of the strided copy (CopyParams): the index space and the
// strides of source and destination over it.
struct Params {
    n: u32,
    rank: u32,
    x_off: u32,
    out_off: u32,
    shape: array<vec4<u32>, 2>,
    x_strides: array<vec4<u32>, 2>,
    out_strides: array<vec4<u32>, 2>,
}
