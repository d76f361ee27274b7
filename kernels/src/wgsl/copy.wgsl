// Strided copy: out[out_off + Σ c_d out_strides_d] = x[x_off + Σ c_d x_strides_d]
// for every multi-index c of `shape`. Serves contiguous(), permute, slice, concat.
// The rank is clamped to MAX_RANK (generated header) so that no rank from the
// host can index past the shape and stride arrays.
struct Params {
    n: u32,
    rank: u32,
    x_off: u32,
    out_off: u32,
    shape: array<vec4<u32>, 2>,
    x_strides: array<vec4<u32>, 2>,
    out_strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<storage, read> x: array<T>;
@group(0) @binding(1) var<storage, read_write> out: array<T>;
@group(0) @binding(2) var<uniform> p: Params;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = linear_workgroup(wid, nwg) * WG + lid;
    if i >= p.n {
        return;
    }
    var rem = i;
    var ix = p.x_off;
    var io = p.out_off;
    for (var d = min(p.rank, MAX_RANK); d > 0u; d = d - 1u) {
        let k = d - 1u;
        let size = p.shape[k / 4u][k % 4u];
        let c = rem % size;
        rem = rem / size;
        ix = ix + c * p.x_strides[k / 4u][k % 4u];
        io = io + c * p.out_strides[k / 4u][k % 4u];
    }
    out[io] = x[ix];
}
