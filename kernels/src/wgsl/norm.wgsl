// Layer norm or RMS norm along the last axis, one workgroup per row of n.
// KIND_LAYER, weight_at() and bias_at() come from the spec's header.

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let row = linear_workgroup(wid, nwg);
    let valid = row < p.rows;
    let base = p.x_off + row * p.n;
    let count = f32(max(p.n, 1u));
    var mean = 0.0;
    if KIND_LAYER {
        var s = 0.0;
        if valid {
            for (var j = lid; j < p.n; j = j + WG) {
                s = s + f32(x[base + j]);
            }
        }
        mean = workgroup_sum(s, lid) / count;
    }
    var sq = 0.0;
    if valid {
        for (var j = lid; j < p.n; j = j + WG) {
            let d = f32(x[base + j]) - mean;
            sq = sq + d * d;
        }
    }
    let inv = inverseSqrt(workgroup_sum(sq, lid) / count + p.eps);
    if valid {
        let out = p.y_off + row * p.n;
        for (var j = lid; j < p.n; j = j + WG) {
            y[out + j] = T((f32(x[base + j]) - mean) * inv * weight_at(j) + bias_at(j));
        }
    }
}
