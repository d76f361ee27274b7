// The parameter block of the quantized matmuls (QuantMatmulParams):
// out[r, c] (m x n, at out_off) = Σ_k x[r, k] (m x k contiguous, at x_off) · W[c, k],
// W an n x k matrix of `blocks` blocks per row. Workgroups are numbered
// row-group-major: group g covers column group g % col_groups and row group
// g / col_groups; ids at or past `groups` have nothing to do.
struct Params {
    m: u32,
    n: u32,
    k: u32,
    blocks: u32,
    x_off: u32,
    out_off: u32,
    col_groups: u32,
    groups: u32,
}
