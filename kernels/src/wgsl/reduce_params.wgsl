// Parameters of the reductions and argmax (ReduceParams): x viewed as
// [outer, len, inner], the output as [outer, inner].
struct Params {
    outer: u32,
    len: u32,
    inner: u32,
    x_off: u32,
    y_off: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}
