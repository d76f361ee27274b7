// Merges the split partial results of decode_attention.wgsl (PARTIAL true):
// one workgroup of WG threads per (kv, row) pair, thread t writing output dims
// t, t + WG, t + 2 WG, t + 3 WG. Split j of pair g holds at (g * splits + j) *
// (head_dim + 2) the unnormalized weighted values a_j, then its maximum m_j
// and sum s_j; with M = max_j m_j,
//   out[g] = Σ_j a_j exp(m_j - M) / Σ_j s_j exp(m_j - M).
// An empty split (m_j = NONE, s_j = 0, a_j = 0) weighs nothing; split 0 always
// holds key 0, so M is a real score. The header defines T (storage type of
// out) and WG. Params as decode_attention.wgsl, groups = kv_heads * rows
// (pairs, not pairs * splits); the host sizes part and out for them.
// Params: decode_attention_params.wgsl.

const NONE: f32 = -1.0e30;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) t: u32) {
    let g = linear_workgroup(wid, nwg);
    if g >= p.groups {
        return;
    }
    let d = p.head_dim;
    let stride = d + 2u;
    let base = g * p.splits * stride;
    var top = NONE;
    for (var j = 0u; j < p.splits; j = j + 1u) {
        top = max(top, part[base + j * stride + d]);
    }
    var total = 0.0;
    for (var j = 0u; j < p.splits; j = j + 1u) {
        let at = base + j * stride;
        total = total + part[at + d + 1u] * exp(part[at + d] - top);
    }
    for (var u = 0u; u < 4u; u = u + 1u) {
        let i = t + u * WG;
        if i < d {
            var acc = 0.0;
            for (var j = 0u; j < p.splits; j = j + 1u) {
                let at = base + j * stride;
                acc = acc + part[at + i] * exp(part[at + d] - top);
            }
            out[g * d + i] = T(acc / total);
        }
    }
}
