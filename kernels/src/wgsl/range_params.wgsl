// Parameters of the kernels over one contiguous range of n elements, read at
// x_off and written at y_off (CastParams, CopyVec4Params).
struct Params {
    n: u32,
    x_off: u32,
    y_off: u32,
    pad0: u32,
}
