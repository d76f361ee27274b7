// Entry point of the row kernels with shared-memory tree reductions
// (row_common.wgsl): one workgroup per row, the body is row_main(row, lid).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    row_main(linear_workgroup(wid, nwg), lid);
}
