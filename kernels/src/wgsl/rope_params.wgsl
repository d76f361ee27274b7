// Parameters of the rotary kernel (RopeParams).
struct Params {
    n: u32,        // rows * heads * half (one thread per rotated pair)
    heads: u32,
    half: u32,
    pos0: u32,
    positions: u32,
    x_off: u32,
    out_off: u32,
    scale: f32,
}
