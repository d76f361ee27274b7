// Small-m matmul, thread mapping for n-contiguous B (b_sn = 1: B stored [k, n]).
//
// Each thread owns four adjacent columns of C (a "quad", kept as a vec4<f32>
// accumulator per row of A). A workgroup of WG threads covers QUADS = WG / SPLIT
// quads, 4 * QUADS columns, and splits the k range SPLIT ways among its threads
// (split-K inside the workgroup): thread t takes quad t % QUADS and the rows
// k = t / QUADS, t / QUADS + SPLIT, ... of B. Adjacent threads read adjacent
// quads of one row of B (coalesced; the vec4 variant makes each a single 16-byte
// load for f32), and every element of B is read once per row group. The threads
// that share a k step read the same element of A, a broadcast from cache. The
// loop is unrolled four deep for four independent loads of B in flight. The
// SPLIT partial vec4s of a quad are summed by a tree in workgroup memory, one
// row at a time, and the thread of the first k slice stores. partial_dots()
// comes from the load snippet: matvec_n_scalar.wgsl (any strides) or
// matvec_n_vec4.wgsl (b_sn = 1, n % 4 == 0, aligned).
// Grid: x over quad groups, y over row groups, z over the batch.
// Every global load is bounded by k and n; every store by m and n.
// The header defines T (storage type), ROWS, WG and SPLIT; a and b are bound
// as T, or as vec4<T> where the load snippet reads vec4s (MatvecSpec's bindings).
const QUADS: u32 = WG / SPLIT;

var<workgroup> red: array<vec4<f32>, WG>;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let batch = wid.z;
    // Rows of this batch: none for a workgroup past the batch count.
    let m = select(0u, p.m, batch < p.batch);
    let row0 = wid.y * ROWS;
    let ks = t / QUADS;
    let col = (wid.x * QUADS + t % QUADS) * 4u;
    var acc = partial_dots(p.a_off + batch * p.a_sb, p.b_off + batch * p.b_sb, row0, m, col, ks);
    let c_base = p.c_off + batch * p.m * p.n;
    for (var i = 0u; i < ROWS; i = i + 1u) {
        red[t] = acc[i];
        workgroupBarrier();
        for (var s = SPLIT / 2u; s > 0u; s = s / 2u) {
            if ks < s {
                red[t] = red[t] + red[t + s * QUADS];
            }
            workgroupBarrier();
        }
        let r = row0 + i;
        if ks == 0u && r < m {
            let v = red[t];
            let o = c_base + r * p.n + col;
            if col < p.n {
                c[o] = T(v.x);
            }
            if col + 1u < p.n {
                c[o + 1u] = T(v.y);
            }
            if col + 2u < p.n {
                c[o + 2u] = T(v.z);
            }
            if col + 3u < p.n {
                c[o + 3u] = T(v.w);
            }
        }
        // Every thread has read what it needs before the next row overwrites red.
        workgroupBarrier();
    }
}
