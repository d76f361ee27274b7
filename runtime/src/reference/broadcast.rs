//! Shapes, strides and numpy-style broadcasting.

/// Number of elements of a row-major tensor of this shape (1 for a scalar `[]`).
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Row-major strides, in elements, of a contiguous tensor of this shape.
pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1];
    }
    strides
}

/// The numpy broadcast of two shapes, or `None` if they are incompatible.
///
/// Shapes are aligned on the right; each pair of sizes must be equal or one of
/// them 1, and the missing leading dimensions of the shorter shape count as 1.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for (i, o) in out.iter_mut().enumerate() {
        // Size of each input at output dimension `i`, 1 where it has no such dimension.
        let da = (i + a.len()).checked_sub(rank).map_or(1, |j| a[j]);
        let db = (i + b.len()).checked_sub(rank).map_or(1, |j| b[j]);
        *o = match (da, db) {
            _ if da == db => da,
            (1, _) => db,
            (_, 1) => da,
            _ => return None,
        };
    }
    Some(out)
}

/// The numpy broadcast of any number of shapes, or `None` if they are incompatible.
pub fn broadcast_shapes(shapes: &[&[usize]]) -> Option<Vec<usize>> {
    shapes
        .iter()
        .try_fold(Vec::new(), |acc, s| broadcast_shape(&acc, s))
}

/// Flat index into a contiguous input of `in_shape` read at output position `out_index`.
///
/// `in_shape` must broadcast to the output shape: it is aligned on the right
/// with `out_index`, and dimensions of size 1 are read at index 0.
pub fn broadcast_index(out_index: &[usize], in_shape: &[usize]) -> usize {
    assert!(
        in_shape.len() <= out_index.len(),
        "reference: shape {in_shape:?} has more dimensions than index {out_index:?}"
    );
    let offset = out_index.len() - in_shape.len();
    let mut flat = 0;
    for (d, &size) in in_shape.iter().enumerate() {
        let i = if size == 1 { 0 } else { out_index[offset + d] };
        assert!(
            i < size,
            "reference: index {out_index:?} out of range for {in_shape:?}"
        );
        flat = flat * size + i;
    }
    flat
}

/// Calls `f` with every multi-index of `shape`, in row-major order.
pub fn for_each_index(shape: &[usize], mut f: impl FnMut(&[usize])) {
    if shape.contains(&0) {
        return;
    }
    let mut index = vec![0; shape.len()];
    loop {
        f(&index);
        // Odometer increment; returns once every digit has wrapped.
        let mut d = shape.len();
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            index[d] += 1;
            if index[d] < shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_shapes_follow_numpy() {
        assert_eq!(broadcast_shape(&[3, 1], &[4]), Some(vec![3, 4]));
        assert_eq!(broadcast_shape(&[2, 1, 5], &[3, 1]), Some(vec![2, 3, 5]));
        assert_eq!(broadcast_shape(&[], &[2, 2]), Some(vec![2, 2]));
        assert_eq!(broadcast_shape(&[0], &[1]), Some(vec![0]));
        assert_eq!(broadcast_shape(&[3], &[4]), None);
        assert_eq!(broadcast_shape(&[2, 3], &[3, 3]), None);
        assert_eq!(
            broadcast_shapes(&[&[4, 1, 1], &[3, 1], &[2]]),
            Some(vec![4, 3, 2])
        );
        assert_eq!(broadcast_shapes(&[]), Some(vec![]));
    }

    #[test]
    fn strides_and_indices() {
        assert_eq!(contiguous_strides(&[2, 3, 4]), vec![12, 4, 1]);
        assert_eq!(contiguous_strides(&[]), Vec::<usize>::new());
        assert_eq!(numel(&[]), 1);
        assert_eq!(numel(&[2, 0, 3]), 0);
        assert_eq!(broadcast_index(&[1, 2], &[3]), 2);
        assert_eq!(broadcast_index(&[1, 2], &[2, 1]), 1);
        assert_eq!(broadcast_index(&[1, 2, 3], &[2, 3, 4]), 12 + 2 * 4 + 3);
        assert_eq!(broadcast_index(&[1, 2], &[]), 0);
    }

    #[test]
    fn for_each_index_is_row_major() {
        let mut seen = Vec::new();
        for_each_index(&[2, 3], |i| seen.push(i.to_vec()));
        assert_eq!(seen.len(), 6);
        assert_eq!(seen[0], vec![0, 0]);
        assert_eq!(seen[1], vec![0, 1]);
        assert_eq!(seen[3], vec![1, 0]);
        assert_eq!(seen[5], vec![1, 2]);
        let mut count = 0;
        for_each_index(&[], |_| count += 1);
        assert_eq!(count, 1);
        for_each_index(&[3, 0], |_| count += 1);
        assert_eq!(count, 1);
    }
}
