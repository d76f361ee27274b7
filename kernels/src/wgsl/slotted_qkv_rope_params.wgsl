// Parameters of slotted_qkv_rope.wgsl (SlottedQkvRopeParams on the host).
struct Params {
    n: u32,           // rows * (heads + 2 kv_heads) * half
    heads: u32,       // query heads
    kv_heads: u32,    // key/value heads
    half: u32,        // head_dim / 2
    positions: u32,   // rows of the cos/sin tables
    capacity: u32,    // positions per slot
    slot_stride: u32, // elements per slot of the pool
    x_off: u32,
    has_bias: u32,
    q_scale: f32,
    pad0: u32,
    pad1: u32,
}
