// out[i] = op(a[..], b[..]) with numpy broadcasting through strides (0 on
// broadcast dims); out is contiguous. op() comes from the spec's header.
// The offsets come from strided_offsets (strided.wgsl).

override WG: u32 = 256u;

// Strides of a and b along dim k.
fn strides_at(k: u32) -> vec3<u32> {
    return vec3<u32>(p.a_strides[k / 4u][k % 4u], p.b_strides[k / 4u][k % 4u], 0u);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_workgroup(wid, nwg) * WG + lid;
    if i >= p.n {
        return;
    }
    let at = strided_offsets(i, min(p.rank, MAX_RANK), vec3<u32>(p.a_off, p.b_off, 0u));
    out[p.out_off + i] = T(op(f32(a[at.x]), f32(b[at.y])));
}
