// out[i] = cond[..] != 0 ? a[..] : b[..], all three broadcast through strides.
// The offsets come from strided_offsets (strided.wgsl).

override WG: u32 = 256u;

// Strides of cond, a and b along dim k.
fn strides_at(k: u32) -> vec3<u32> {
    let q = k / 4u;
    let r = k % 4u;
    return vec3<u32>(p.c_strides[q][r], p.a_strides[q][r], p.b_strides[q][r]);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_workgroup(wid, nwg) * WG + lid;
    if i >= p.n {
        return;
    }
    let at = strided_offsets(i, min(p.rank, MAX_RANK), vec3<u32>(p.c_off, p.a_off, p.b_off));
    if cond[at.x] != 0u {
        out[p.out_off + i] = a[at.y];
    } else {
        out[p.out_off + i] = b[at.z];
    }
}
