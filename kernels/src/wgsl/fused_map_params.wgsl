// Parameters of the fused elementwise kernel (FusedMapParams): the output's
// shape (rank <= MAX_RANK), each input's element offset and its strides over
// the output's shape (0 on broadcast dims; input k's stride along dim d at
// flat index k * 8 + d).
struct Params {
    n: u32,
    rank: u32,
    out_off: u32,
    pad0: u32,
    shape: array<vec4<u32>, 2>,
    offsets: array<vec4<u32>, 2>,
    strides: array<vec4<u32>, 16>,
}
