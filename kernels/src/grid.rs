//! Dispatch geometry shared by all kernels.
//!
//! WebGPU caps each dispatch dimension at 65535 workgroups, so a kernel that needs
//! `count` workgroups is dispatched as a 2-D grid `[x, y, 1]` and recovers its linear
//! workgroup id as `wid.x + wid.y * num_workgroups.x` (skipping ids `>= count`).

/// Largest workgroup count per dispatch dimension guaranteed by WebGPU.
pub const MAX_WORKGROUPS_PER_DIM: u32 = 65535;

/// Largest tensor rank the strided kernels address (shape and strides arrays in
/// the parameter uniform are this long).
pub const MAX_RANK: usize = 8;

/// The 2-D grid that covers `count` workgroups, or `None` when even a full
/// 65535 x 65535 grid is too small.
pub fn grid_for_workgroups(count: u64) -> Option<[u32; 3]> {
    let max = MAX_WORKGROUPS_PER_DIM as u64;
    if count == 0 {
        return Some([0, 1, 1]);
    }
    if count <= max {
        return Some([count as u32, 1, 1]);
    }
    let y = count.div_ceil(max);
    if y > max {
        return None;
    }
    let x = count.div_ceil(y);
    Some([x as u32, y as u32, 1])
}

/// The grid for `items` work items handled `per_workgroup` at a time.
pub fn grid_for_items(items: u64, per_workgroup: u32) -> Option<[u32; 3]> {
    grid_for_workgroups(items.div_ceil(per_workgroup.max(1) as u64))
}

/// The grid of a tiled product: `[n / cols, m / rows, batch]` tiles, rounded up;
/// `None` when a dimension exceeds the dispatch limit.
pub(crate) fn tile_grid(
    (m, n, batch): (usize, usize, usize),
    rows: usize,
    cols: usize,
) -> Option<[u32; 3]> {
    let grid = [n.div_ceil(cols), m.div_ceil(rows), batch];
    if grid.iter().any(|&g| g > MAX_WORKGROUPS_PER_DIM as usize) {
        return None;
    }
    Some(grid.map(|g| g as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_covers_count_without_exceeding_dim_limit() {
        for count in [0u64, 1, 255, 65535, 65536, 1 << 20, 123_456_789] {
            let g = grid_for_workgroups(count).unwrap();
            assert!(g[0] <= MAX_WORKGROUPS_PER_DIM && g[1] <= MAX_WORKGROUPS_PER_DIM);
            assert!(g[0] as u64 * g[1] as u64 >= count);
        }
        assert!(grid_for_workgroups(65535u64 * 65535 + 1).is_none());
    }
}
