// The online-softmax attention of one query over a range of cached keys,
// shared by decode_attention.wgsl and slotted_attention.wgsl. The caller
// loads the (already scaled) query into q_row and passes, uniform across the
// workgroup: the element index of key/value row 0 of the head in the `keys`
// and `values` bindings (rows of d values, contiguous), d (<= 4 WG) and the
// keys [k_begin, k_end) to take. Keys are taken WG at a time, one per thread
// (a dot product over d with q from workgroup memory); a running maximum and
// sum rescale the partial output, so any number of keys takes one pass.
// Thread t owns output dims t, t + WG, t + 2 WG, t + 3 WG and accumulates the
// range's values for them, reading each value row as the workgroup's
// contiguous slice. Reductions are trees in workgroup memory (row_common.wgsl).
// An empty range gives (0, NONE, 0).

const NONE: f32 = -1.0e30;

var<workgroup> q_row: array<f32, 4 * WG>;
var<workgroup> probs: array<f32, WG>;

// Thread t's unnormalized sums of weighted values (dims t + u WG), and the
// range's running maximum and sum of weights.
struct Attended {
    acc: vec4<f32>,
    running_max: f32,
    running_sum: f32,
}

fn attend(cache_base: u32, d: u32, k_begin: u32, k_end: u32, t: u32) -> Attended {
    var running_max = NONE;
    var running_sum = 0.0;
    var acc = vec4<f32>(0.0);
    for (var c0 = k_begin; c0 < k_end; c0 = c0 + WG) {
        let j = c0 + t;
        var score = NONE;
        if j < k_end {
            var dot_qk = 0.0;
            let k_base = cache_base + j * d;
            for (var i = 0u; i < d; i = i + 1u) {
                dot_qk = dot_qk + q_row[i] * f32(keys[k_base + i]);
            }
            score = dot_qk;
        }
        let new_max = max(running_max, workgroup_max(score, t));
        var weight = 0.0;
        if j < k_end {
            weight = exp(score - new_max);
        }
        probs[t] = weight;
        let chunk_sum = workgroup_sum(weight, t);
        let rescale = exp(running_max - new_max);
        running_sum = running_sum * rescale + chunk_sum;
        acc = acc * rescale;
        let count = min(WG, k_end - c0);
        for (var jj = 0u; jj < count; jj = jj + 1u) {
            let w = probs[jj];
            let v_base = cache_base + (c0 + jj) * d;
            for (var u = 0u; u < 4u; u = u + 1u) {
                let i = t + u * WG;
                if i < d {
                    acc[u] = acc[u] + w * f32(values[v_base + i]);
                }
            }
        }
        running_max = new_max;
        workgroupBarrier();
    }
    return Attended(acc, running_max, running_sum);
}
