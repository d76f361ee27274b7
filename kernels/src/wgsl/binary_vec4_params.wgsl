// Parameters of the vec4 binary kernel (BinaryVec4Params), in elements.
struct Params {
    n: u32,
    a_off: u32,
    b_off: u32,
    out_off: u32,
    a_period: u32,
    b_period: u32,
    pad0: u32,
    pad1: u32,
}
