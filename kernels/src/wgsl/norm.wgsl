// Layer norm or RMS norm along the last axis, WG threads per row of n (thread
// lid of the row). KIND_LAYER, weight_at() and bias_at() come from the spec's
// header; the entry point and workgroup_sum from row_common.wgsl +
// row_entry.wgsl (a workgroup per row) or row_per_thread.wgsl (WG = 1, a row
// per invocation).

fn row_main(row: u32, lid: u32) {
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
