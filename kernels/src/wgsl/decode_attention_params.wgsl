// Parameters of decode_attention.wgsl and decode_attention_combine.wgsl
// (DecodeAttentionParams on the host).
struct Params {
    kv_heads: u32,
    rows: u32,      // group * s query rows per kv head
    s: u32,         // new tokens
    past: u32,      // cached tokens before them
    head_dim: u32,
    capacity: u32,
    q_off: u32,
    groups: u32,    // workgroups with work: kv_heads * rows * splits (combine: kv_heads * rows)
    splits: u32,    // key ranges per (kv, row)
    chunk: u32,     // keys per range
    pad0: u32,
    pad1: u32,
}
