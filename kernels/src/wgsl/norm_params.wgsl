// Parameters of the layer and RMS norms, scalar and vec4 (NormParams).
struct Params {
    rows: u32,
    n: u32,
    x_off: u32,
    y_off: u32,
    w_off: u32,
    b_off: u32,
    eps: f32,
    pad0: u32,
}
