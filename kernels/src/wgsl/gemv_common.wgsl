// Shared by the small-m matmul ("matvec") bodies gemv_k.wgsl and gemv_n.wgsl:
// the bindings (the parameter block, matmul_params.wgsl, is prepended
// by the spec).
// C[b] (m x n, contiguous) = A[b] (m x k) · B[b] (k x n); A and B through strides.
//
// The header defines T (storage type), AV and BV (element types of the a and b
// bindings: T, or vec4<T> in the vec4 variants, for which the host has proved
// every offset and stride used in vec4 units a multiple of 4), ROWS (rows of C
// per workgroup), WG (threads per workgroup) and SPLIT (threads that share the
// k range of one output: split-K inside the workgroup).

@group(0) @binding(0) var<storage, read> a: array<AV>;
@group(0) @binding(1) var<storage, read> b: array<BV>;
@group(0) @binding(2) var<storage, read_write> c: array<T>;
@group(0) @binding(3) var<uniform> p: Params;
