// y[i] = x[i] on vec4s over contiguous ranges: a bit-exact copy (n and both
// offsets multiples of 4: the host checks). Reads past n are never made.

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_workgroup(wid, nwg) * WG + lid;
    if i >= p.n / 4u {
        return;
    }
    y[p.y_off / 4u + i] = x[p.x_off / 4u + i];
}
