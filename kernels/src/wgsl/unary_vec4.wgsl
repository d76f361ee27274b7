// y[i] = op(x[i]) on vec4s over contiguous ranges (n and both offsets multiples
// of 4: the host checks); op() comes from the spec's header.

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_workgroup(wid, nwg) * WG + lid;
    if i >= p.n / 4u {
        return;
    }
    let v = vec4<f32>(x[p.x_off / 4u + i]);
    y[p.y_off / 4u + i] = vec4<T>(vec4<f32>(op(v.x), op(v.y), op(v.z), op(v.w)));
}
