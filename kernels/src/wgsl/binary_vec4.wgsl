// out[i] = op(a[..], b[..]) on vec4s over contiguous operands, a linear index and
// no stride decomposition. The host checks that n and every offset and period
// are multiples of 4. a_index()/b_index() come from the spec's header: either
// the same position as out, or (a row vector broadcast over rows) the position
// modulo the operand's period. op() comes from the spec's header too.

override WG: u32 = 256u;

fn op4(x: vec4<f32>, y: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(op(x.x, y.x), op(x.y, y.y), op(x.z, y.z), op(x.w, y.w));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_workgroup(wid, nwg) * WG + lid;
    if i >= p.n / 4u {
        return;
    }
    let x = vec4<f32>(a[a_index(i)]);
    let y = vec4<f32>(b[b_index(i)]);
    out[p.out_off / 4u + i] = vec4<T>(op4(x, y));
}
