// Parameters of slotted_attention.wgsl (SlottedAttentionParams on the host).
struct Params {
    rows: u32,        // sequences in the batch (rows of q and the table)
    heads: u32,       // query heads
    kv_heads: u32,    // key/value heads (dividing heads)
    head_dim: u32,
    capacity: u32,    // positions per slot
    slot_stride: u32, // elements per slot of the pool
    q_off: u32,
    groups: u32,      // workgroups with work: rows * heads
}
