// Parameters of the quantized gather (QuantGatherParams).
struct Params {
    n: u32,
    cols: u32,
    rows: u32,
    blocks: u32,
    ids_off: u32,
    out_off: u32,
    pad0: u32,
    pad1: u32,
}
