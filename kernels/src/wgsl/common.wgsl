// Shared helpers, prepended to every kernel body.

// Linear id of this workgroup in the 2-D grid of grid.rs.
fn linear_workgroup(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.x + wid.y * nwg.x;
}
