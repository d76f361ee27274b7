// Layer norm or RMS norm along the last axis on vec4s, one workgroup per row of
// n (n, x_off, y_off, w_off, b_off all multiples of 4: the host checks).
// KIND_LAYER, weight4() and bias4() come from the spec's header.
//
// Rows of at most WG * VPT vec4s stay in registers: one read, one write, and the
// variance is the exact two-pass sum of (x - mean)^2. Longer rows: one pass of
// sums shifted by the row's first value (which keeps cancellation small), then
// a write pass.

fn row_main(row: u32, lid: u32) {
    let valid = row < p.rows;
    let n4 = p.n / 4u;
    let xb = p.x_off / 4u + row * n4;
    let yb = p.y_off / 4u + row * n4;
    let count = f32(max(p.n, 1u));
    if n4 <= WG * VPT {
        var v: array<vec4<f32>, VPT>;
        var s = 0.0;
        for (var k = 0u; k < VPT; k = k + 1u) {
            let j = lid + k * WG;
            var t = vec4<f32>(0.0);
            if valid && j < n4 {
                t = vec4<f32>(x[xb + j]);
            }
            v[k] = t;
            s = s + sum4(t);
        }
        var mean = 0.0;
        if KIND_LAYER {
            mean = workgroup_sum(s, lid) / count;
        }
        var sq = 0.0;
        for (var k = 0u; k < VPT; k = k + 1u) {
            if lid + k * WG < n4 {
                let d = v[k] - mean;
                sq = sq + dot(d, d);
            }
        }
        let inv = inverseSqrt(workgroup_sum(sq, lid) / count + p.eps);
        if valid {
            for (var k = 0u; k < VPT; k = k + 1u) {
                let j = lid + k * WG;
                if j < n4 {
                    y[yb + j] = vec4<T>((v[k] - mean) * inv * weight4(j) + bias4(j));
                }
            }
        }
    } else {
        var shift = 0.0;
        if valid && KIND_LAYER {
            shift = f32(x[xb].x);
        }
        var s = 0.0;
        var sq = 0.0;
        if valid {
            for (var j = lid; j < n4; j = j + WG) {
                let d = vec4<f32>(x[xb + j]) - shift;
                s = s + sum4(d);
                sq = sq + dot(d, d);
            }
        }
        var mean = 0.0;
        var shifted_mean = 0.0;
        if KIND_LAYER {
            shifted_mean = workgroup_sum(s, lid) / count;
            mean = shift + shifted_mean;
        }
        let variance = max(workgroup_sum(sq, lid) / count - shifted_mean * shifted_mean, 0.0);
        let inv = inverseSqrt(variance + p.eps);
        if valid {
            for (var j = lid; j < n4; j = j + WG) {
                y[yb + j] = vec4<T>((vec4<f32>(x[xb + j]) - mean) * inv * weight4(j) + bias4(j));
            }
        }
    }
}
