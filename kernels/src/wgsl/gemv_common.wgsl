// Shared by the small-m matmul ("matvec") bodies gemv_k.wgsl and gemv_n.wgsl:
// the matmul parameter block (the layout of MatmulParams, as in
// gemm_common.wgsl) and the bindings.
// C[b] (m x n, contiguous) = A[b] (m x k) · B[b] (k x n); A and B through strides.
//
// The header defines T (storage type), AV and BV (element types of the a and b
// bindings: T, or vec4<T> in the vec4 variants, for which the host has proved
// every offset and stride used in vec4 units a multiple of 4), ROWS (rows of C
// per workgroup), WG (threads per workgroup) and SPLIT (threads that share the
// k range of one output: split-K inside the workgroup).
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

@group(0) @binding(0) var<storage, read> a: array<AV>;
@group(0) @binding(1) var<storage, read> b: array<BV>;
@group(0) @binding(2) var<storage, read_write> c: array<T>;
@group(0) @binding(3) var<uniform> p: Params;
