// Stable softmax along the last axis, WG threads per row of n (thread lid of
// the row): max pass, sum-of-exp pass, write pass. mask_at() (0 when unmasked)
// comes from the spec's header, mask_row_offset() from softmax_common.wgsl; the
// entry point and workgroup_max/workgroup_sum from row_common.wgsl +
// row_entry.wgsl (a workgroup per row) or row_per_thread.wgsl (WG = 1, a row
// per invocation). A row whose every value is -inf gives zeros.

fn row_main(row: u32, lid: u32) {
    let valid = row < p.rows;
    let base = p.x_off + row * p.n;
    var mrow = 0u;
    if valid && HAS_MASK {
        mrow = mask_row_offset(row);
    }
    let neg_inf = f32_bits(0xff800000u);
    var m = neg_inf;
    if valid {
        for (var j = lid; j < p.n; j = j + WG) {
            m = max(m, f32(x[base + j]) + mask_at(mrow, j));
        }
    }
    let row_max = workgroup_max(m, lid);
    var s = 0.0;
    if valid && row_max > neg_inf {
        for (var j = lid; j < p.n; j = j + WG) {
            s = s + exp(f32(x[base + j]) + mask_at(mrow, j) - row_max);
        }
    }
    let total = workgroup_sum(s, lid);
    if valid {
        let out = p.y_off + row * p.n;
        for (var j = lid; j < p.n; j = j + WG) {
            var v = 0.0;
            if row_max > neg_inf {
                v = exp(f32(x[base + j]) + mask_at(mrow, j) - row_max) / total;
            }
            y[out + j] = T(v);
        }
    }
}
