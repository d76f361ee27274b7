// Workgroup-wide reductions of row kernels (WG threads, a power of two).
// Call from uniform control flow: they contain barriers.

var<workgroup> partial: array<f32, WG>;

// The maximum (max_not_sum) or the sum of every thread's v, for all threads.
fn workgroup_reduce(v: f32, lid: u32, max_not_sum: bool) -> f32 {
    partial[lid] = v;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
        if lid < s {
            let other = partial[lid + s];
            partial[lid] = select(partial[lid] + other, max(partial[lid], other), max_not_sum);
        }
        workgroupBarrier();
    }
    let r = partial[0];
    workgroupBarrier();
    return r;
}

fn workgroup_max(v: f32, lid: u32) -> f32 {
    return workgroup_reduce(v, lid, true);
}

fn workgroup_sum(v: f32, lid: u32) -> f32 {
    return workgroup_reduce(v, lid, false);
}
