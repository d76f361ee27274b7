// Parameters of the gather kernel (GatherParams).
struct Params {
    n: u32,
    cols: u32,
    rows: u32,
    table_off: u32,
    ids_off: u32,
    out_off: u32,
    pad0: u32,
    pad1: u32,
}
