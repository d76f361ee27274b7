// Workgroup-wide reductions through subgroup operations, and the entry point of
// the vec4 row kernels that use them: one workgroup per row, the body is
// row_main(row, lid). Same contract as row_common.wgsl (WG threads; call from
// uniform control flow: they contain barriers).
//
// Each subgroup reduces in registers and leaves one partial per subgroup; every
// subgroup then re-reduces those partials itself (lane i takes partials i,
// i + size, ...), so all threads get the result after a single barrier. No
// subgroup size is assumed: any size from 1 up, full or partial subgroups.

var<workgroup> partial: array<f32, WG>;
var<private> sg_lane: u32;
var<private> sg_size: u32;
var<private> sg_id: u32;
var<private> sg_count: u32;

fn workgroup_max(v: f32, lid: u32) -> f32 {
    let m = subgroupMax(v);
    if sg_lane == 0u {
        partial[min(sg_id, WG - 1u)] = m;
    }
    workgroupBarrier();
    var t = f32_bits(0xff800000u);
    for (var i = sg_lane; i < min(sg_count, WG); i = i + max(sg_size, 1u)) {
        t = max(t, partial[i]);
    }
    let r = subgroupMax(t);
    workgroupBarrier();
    return r;
}

fn workgroup_sum(v: f32, lid: u32) -> f32 {
    let s = subgroupAdd(v);
    if sg_lane == 0u {
        partial[min(sg_id, WG - 1u)] = s;
    }
    workgroupBarrier();
    var t = 0.0;
    for (var i = sg_lane; i < min(sg_count, WG); i = i + max(sg_size, 1u)) {
        t = t + partial[i];
    }
    let r = subgroupAdd(t);
    workgroupBarrier();
    return r;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) size: u32,
        @builtin(subgroup_id) sg: u32, @builtin(num_subgroups) count: u32) {
    sg_lane = lane;
    sg_size = size;
    sg_id = sg;
    sg_count = count;
    row_main(linear_workgroup(wid, nwg), lid);
}
