// out[i] = cond[..] != 0 ? a[..] : b[..], all three broadcast through strides.
// The rank is clamped to MAX_RANK (generated header) so that no rank from the
// host can index past the shape and stride arrays.
struct Params {
    n: u32,
    rank: u32,
    c_off: u32,
    a_off: u32,
    b_off: u32,
    out_off: u32,
    pad0: u32,
    pad1: u32,
    shape: array<vec4<u32>, 2>,
    c_strides: array<vec4<u32>, 2>,
    a_strides: array<vec4<u32>, 2>,
    b_strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<storage, read> cond: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<T>;
@group(0) @binding(2) var<storage, read> b: array<T>;
@group(0) @binding(3) var<storage, read_write> out: array<T>;
@group(0) @binding(4) var<uniform> p: Params;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_workgroup(wid, nwg) * WG + lid;
    if i >= p.n {
        return;
    }
    var rem = i;
    var ic = p.c_off;
    var ia = p.a_off;
    var ib = p.b_off;
    for (var d = min(p.rank, MAX_RANK); d > 0u; d = d - 1u) {
        let k = d - 1u;
        let size = p.shape[k / 4u][k % 4u];
        let c = rem % size;
        rem = rem / size;
        ic = ic + c * p.c_strides[k / 4u][k % 4u];
        ia = ia + c * p.a_strides[k / 4u][k % 4u];
        ib = ib + c * p.b_strides[k / 4u][k % 4u];
    }
    if cond[ic] != 0u {
        out[p.out_off + i] = a[ia];
    } else {
        out[p.out_off + i] = b[ib];
    }
}
