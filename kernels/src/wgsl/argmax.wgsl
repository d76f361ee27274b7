// Index of the maximum along len of x viewed as [outer, len, inner]; the first
// index wins ties. One workgroup per output.

const NONE: u32 = 0xffffffffu;

var<workgroup> best_value: array<f32, WG>;
var<workgroup> best_index: array<u32, WG>;

// Whether (v, i) beats (w, k): larger value, or equal value and smaller index.
fn beats(v: f32, i: u32, w: f32, k: u32) -> bool {
    if i == NONE {
        return false;
    }
    if k == NONE {
        return true;
    }
    return v > w || (v == w && i < k);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let o = linear_workgroup(wid, nwg);
    let valid = o < p.outer * p.inner;
    var bv = 0.0;
    var bi = NONE;
    if valid {
        let base = p.x_off + (o / p.inner) * p.len * p.inner + o % p.inner;
        for (var j = lid; j < p.len; j = j + WG) {
            let v = f32(x[base + j * p.inner]);
            // NaN never wins.
            if !is_nan(v) && beats(v, j, bv, bi) {
                bv = v;
                bi = j;
            }
        }
    }
    best_value[lid] = bv;
    best_index[lid] = bi;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
        if lid < s && beats(best_value[lid + s], best_index[lid + s], best_value[lid], best_index[lid]) {
            best_value[lid] = best_value[lid + s];
            best_index[lid] = best_index[lid + s];
        }
        workgroupBarrier();
    }
    if valid && lid == 0u {
        y[p.y_off + o] = select(best_index[0], 0u, best_index[0] == NONE);
    }
}
