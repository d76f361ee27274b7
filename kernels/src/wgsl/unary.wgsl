// y[i] = op(x[i]) over contiguous ranges; op() comes from the spec's header.
struct Params {
    n: u32,
    x_off: u32,
    y_off: u32,
    pad0: u32,
    scale: f32,
    bias: f32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<storage, read> x: array<T>;
@group(0) @binding(1) var<storage, read_write> y: array<T>;
@group(0) @binding(2) var<uniform> p: Params;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_workgroup(wid, nwg) * WG + lid;
    if i >= p.n {
        return;
    }
    y[p.y_off + i] = T(op(f32(x[p.x_off + i])));
}
