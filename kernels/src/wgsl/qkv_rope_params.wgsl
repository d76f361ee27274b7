// Parameters of the fused q/k/v split and rotary kernel (QkvRopeParams).
struct Params {
    n: u32,         // rows * (heads + 2 kv_heads) * half
    heads: u32,     // query heads
    kv_heads: u32,  // key/value heads
    half: u32,      // head_dim / 2
    rows: u32,      // tokens in x
    pos0: u32,      // position of row 0
    positions: u32, // rows of the cos/sin tables
    capacity: u32,  // positions of the caches
    x_off: u32,
    has_bias: u32,
    q_scale: f32,
    pad: u32,
}
