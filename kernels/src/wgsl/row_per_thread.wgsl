// Reductions and entry point of the per-thread row kernels: one invocation owns
// a row (WG = 1 thread per row, so thread 0 of its row), ROWS_PER_WG rows per
// workgroup. A row's reduction is its one thread's value: no workgroup memory,
// no barrier. Software adapters (SwiftShader, lavapipe) run barriers across
// many invocations slowly; short rows leave most threads of a workgroup per
// row idle.

fn workgroup_max(v: f32, lid: u32) -> f32 {
    return v;
}

fn workgroup_sum(v: f32, lid: u32) -> f32 {
    return v;
}

@compute @workgroup_size(ROWS_PER_WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    row_main(linear_workgroup(wid, nwg) * ROWS_PER_WG + lid, 0u);
}
