// One workgroup per output of x viewed as [outer, len, inner]: threads stride over
// len, then a shared-memory tree. init/combine/finish come from the spec's header.

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let o = linear_workgroup(wid, nwg);
    let valid = o < p.outer * p.inner;
    var acc = init();
    if valid {
        let base = p.x_off + (o / p.inner) * p.len * p.inner + o % p.inner;
        for (var j = lid; j < p.len; j = j + WG) {
            acc = combine(acc, f32(x[base + j * p.inner]));
        }
    }
    partial[lid] = acc;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
        if lid < s {
            partial[lid] = combine(partial[lid], partial[lid + s]);
        }
        workgroupBarrier();
    }
    if valid && lid == 0u {
        y[p.y_off + o] = T(finish(partial[0], p.len));
    }
}
