// The parameter block of every matmul kernel (tiled, blocked, subgroup, matvec):
// the layout of MatmulParams. C[b] (m x n, contiguous) = A[b] (m x k) · B[b] (k x n).
struct Params {
    m: u32,
    n: u32,
    k: u32,
    batch: u32,
    a_off: u32,
    b_off: u32,
    c_off: u32,
    pad0: u32,
    a_sb: u32,
    a_sm: u32,
    a_sk: u32,
    pad1: u32,
    b_sb: u32,
    b_sk: u32,
    b_sn: u32,
    pad2: u32,
}
