// Strided copy: out[out_off + Σ c_d out_strides_d] = x[x_off + Σ c_d x_strides_d]
// for every multi-index c of `shape`. Serves contiguous(), permute, slice, concat.
// The offsets come from strided_offsets (strided.wgsl).

override WG: u32 = 256u;

// Strides of x and out along dim k.
fn strides_at(k: u32) -> vec3<u32> {
    return vec3<u32>(p.x_strides[k / 4u][k % 4u], p.out_strides[k / 4u][k % 4u], 0u);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_workgroup(wid, nwg) * WG + lid;
    if i >= p.n {
        return;
    }
    let at = strided_offsets(i, min(p.rank, MAX_RANK), vec3<u32>(p.x_off, p.out_off, 0u));
    out[at.y] = x[at.x];
}
