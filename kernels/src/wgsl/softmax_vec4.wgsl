// Stable softmax along the last axis on vec4s, one workgroup per row of n
// (n % 4 == 0, x_off % 4 == 0, y_off % 4 == 0: the host checks). mask4() (zeros
// when unmasked) comes from the spec's header and reads the mask as scalars, so
// the mask needs no alignment. A row whose every value is -inf gives zeros.
//
// Rows of at most WG * VPT vec4s stay in registers: one read, one write.
// Longer rows: an online max/sum pass, then a write pass (two reads, one write).

fn row_main(row: u32, lid: u32) {
    let valid = row < p.rows;
    let n4 = p.n / 4u;
    let xb = p.x_off / 4u + row * n4;
    let yb = p.y_off / 4u + row * n4;
    var mrow = 0u;
    if valid && HAS_MASK {
        mrow = mask_row_offset(row);
    }
    let neg_inf = f32_bits(0xff800000u);
    if n4 <= WG * VPT {
        var v: array<vec4<f32>, VPT>;
        var m = neg_inf;
        for (var k = 0u; k < VPT; k = k + 1u) {
            let j = lid + k * WG;
            var t = vec4<f32>(neg_inf);
            if valid && j < n4 {
                t = vec4<f32>(x[xb + j]) + mask4(mrow, j);
            }
            v[k] = t;
            m = max(m, max4(t));
        }
        let row_max = workgroup_max(m, lid);
        var s = 0.0;
        if row_max > neg_inf {
            for (var k = 0u; k < VPT; k = k + 1u) {
                let e = exp(v[k] - row_max);
                v[k] = e;
                s = s + sum4(e);
            }
        }
        let total = workgroup_sum(s, lid);
        if valid {
            for (var k = 0u; k < VPT; k = k + 1u) {
                let j = lid + k * WG;
                if j < n4 {
                    var o = vec4<f32>(0.0);
                    if row_max > neg_inf {
                        o = v[k] / total;
                    }
                    y[yb + j] = vec4<T>(o);
                }
            }
        }
    } else {
        // Running max m and sum s of exp(v - m) per thread, rescaled as m grows.
        var m = neg_inf;
        var s = 0.0;
        if valid {
            for (var j = lid; j < n4; j = j + WG) {
                let t = vec4<f32>(x[xb + j]) + mask4(mrow, j);
                let mt = max(m, max4(t));
                if mt > neg_inf {
                    s = s * exp(m - mt) + sum4(exp(t - mt));
                    m = mt;
                }
            }
        }
        let row_max = workgroup_max(m, lid);
        var scaled = 0.0;
        if m > neg_inf {
            scaled = s * exp(m - row_max);
        }
        let total = workgroup_sum(scaled, lid);
        if valid {
            for (var j = lid; j < n4; j = j + WG) {
                var o = vec4<f32>(0.0);
                if row_max > neg_inf {
                    o = exp(vec4<f32>(x[xb + j]) + mask4(mrow, j) - row_max) / total;
                }
                y[yb + j] = vec4<T>(o);
            }
        }
    }
}
