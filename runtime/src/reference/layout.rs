//! Data movement: permute, slice, concat and embedding gather.

use std::ops::Range;

use super::broadcast::{contiguous_strides, for_each_index, numel};
use super::check_len;

/// Reorders axes: output axis `d` is input axis `perm[d]`, so the output's
/// shape is `[shape[perm[0]], shape[perm[1]], ...]` (numpy `transpose(perm)`).
///
/// # Panics
/// If `x` does not match `shape` or `perm` is not a permutation of `0..rank`.
pub fn permute(x: &[f32], shape: &[usize], perm: &[usize]) -> Vec<f32> {
    check_len("permute input", x.len(), shape);
    let mut seen = vec![false; shape.len()];
    for &p in perm {
        assert!(
            p < shape.len() && !std::mem::replace(&mut seen[p], true),
            "reference: {perm:?} is not a permutation of the axes of {shape:?}"
        );
    }
    assert_eq!(
        perm.len(),
        shape.len(),
        "reference: {perm:?} is not a permutation of the axes of {shape:?}"
    );
    let in_strides = contiguous_strides(shape);
    let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let mut out = Vec::with_capacity(x.len());
    for_each_index(&out_shape, |i| {
        let src: usize = i.iter().zip(perm).map(|(&v, &p)| v * in_strides[p]).sum();
        out.push(x[src]);
    });
    out
}

/// The sub-tensor `x[r0, r1, ...]`, one range per axis; its shape is the ranges' lengths.
///
/// # Panics
/// If `x` does not match `shape`, there is not one range per axis, or a range
/// is reversed or runs past its axis.
pub fn slice(x: &[f32], shape: &[usize], ranges: &[Range<usize>]) -> Vec<f32> {
    check_len("slice input", x.len(), shape);
    assert_eq!(
        ranges.len(),
        shape.len(),
        "reference: slice of {shape:?} needs one range per axis, got {ranges:?}"
    );
    for (r, &size) in ranges.iter().zip(shape) {
        assert!(
            r.start <= r.end && r.end <= size,
            "reference: range {r:?} is invalid for an axis of {size} in {shape:?}"
        );
    }
    let strides = contiguous_strides(shape);
    let out_shape: Vec<usize> = ranges.iter().map(|r| r.end - r.start).collect();
    let mut out = Vec::with_capacity(numel(&out_shape));
    for_each_index(&out_shape, |i| {
        let src: usize = i
            .iter()
            .zip(ranges)
            .zip(&strides)
            .map(|((&v, r), &s)| (r.start + v) * s)
            .sum();
        out.push(x[src]);
    });
    out
}

/// Joins tensors along `axis`; every other dimension must agree. Returns the
/// values and the output shape.
///
/// # Panics
/// If `parts` is empty, a part does not match its shape, `axis` is out of
/// range, or the parts' ranks or other dimensions differ.
pub fn concat(parts: &[(&[f32], &[usize])], axis: usize) -> (Vec<f32>, Vec<usize>) {
    let (_, first) = parts
        .first()
        .expect("reference: concat needs at least one part");
    assert!(
        axis < first.len(),
        "reference: axis {axis} out of range for shape {first:?}"
    );
    let mut out_shape = first.to_vec();
    out_shape[axis] = 0;
    for (x, s) in parts {
        check_len("concat part", x.len(), s);
        let same_rank = s.len() == first.len();
        assert!(
            same_rank && (0..s.len()).all(|d| d == axis || s[d] == first[d]),
            "reference: cannot concat {s:?} with {first:?} along axis {axis}"
        );
        out_shape[axis] += s[axis];
    }
    let outer: usize = first[..axis].iter().product();
    let inner: usize = first[axis + 1..].iter().product();
    let mut out = Vec::with_capacity(numel(&out_shape));
    for o in 0..outer {
        for (x, s) in parts {
            let block = s[axis] * inner;
            out.extend_from_slice(&x[o * block..(o + 1) * block]);
        }
    }
    (out, out_shape)
}

/// Embedding lookup: row `ids[i]` of the `[rows, cols]` table, for each `i`,
/// giving `[ids.len(), cols]`. `None` if any id is `>= rows`.
///
/// # Panics
/// If `table.len() != rows * cols`.
pub fn gather(table: &[f32], rows: usize, cols: usize, ids: &[u32]) -> Option<Vec<f32>> {
    check_len("gather table", table.len(), &[rows, cols]);
    let mut out = Vec::with_capacity(ids.len() * cols);
    for &id in ids {
        let id = id as usize;
        if id >= rows {
            return None;
        }
        out.extend_from_slice(&table[id * cols..(id + 1) * cols]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iota(n: usize) -> Vec<f32> {
        (0..n).map(|v| v as f32).collect()
    }

    #[test]
    fn permute_transposes_and_cycles() {
        // [[0,1,2],[3,4,5]]^T = [[0,3],[1,4],[2,5]]
        assert_eq!(
            permute(&iota(6), &[2, 3], &[1, 0]),
            vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
        );
        // shape [2,3,4] -> perm [2,0,1] -> shape [4,2,3]; out[c][a][b] = x[a][b][c].
        let x = iota(24);
        let y = permute(&x, &[2, 3, 4], &[2, 0, 1]);
        for c in 0..4 {
            for a in 0..2 {
                for b in 0..3 {
                    assert_eq!(y[(c * 2 + a) * 3 + b], x[(a * 3 + b) * 4 + c]);
                }
            }
        }
        assert_eq!(permute(&x, &[2, 3, 4], &[0, 1, 2]), x);
    }

    #[test]
    #[should_panic(expected = "not a permutation")]
    fn permute_rejects_repeated_axis() {
        permute(&iota(6), &[2, 3], &[0, 0]);
    }

    #[test]
    fn slice_takes_sub_blocks() {
        // [[0,1,2,3],[4,5,6,7],[8,9,10,11]][1..3, 1..3] = [[5,6],[9,10]]
        assert_eq!(
            slice(&iota(12), &[3, 4], &[1..3, 1..3]),
            vec![5.0, 6.0, 9.0, 10.0]
        );
        assert_eq!(
            slice(&iota(12), &[3, 4], &[0..3, 3..4]),
            vec![3.0, 7.0, 11.0]
        );
        assert_eq!(slice(&iota(12), &[3, 4], &[2..2, 0..4]), Vec::<f32>::new());
    }

    #[test]
    fn concat_along_each_axis() {
        let a = iota(4); // [[0,1],[2,3]]
        let b = [10.0, 11.0]; // [[10],[11]] or [[10, 11]]
        let (out, shape) = concat(&[(&a, &[2, 2]), (&b, &[2, 1])], 1);
        assert_eq!(shape, vec![2, 3]);
        assert_eq!(out, vec![0.0, 1.0, 10.0, 2.0, 3.0, 11.0]);
        let (out, shape) = concat(&[(&a, &[2, 2]), (&b, &[1, 2]), (&[], &[0, 2])], 0);
        assert_eq!(shape, vec![3, 2]);
        assert_eq!(out, vec![0.0, 1.0, 2.0, 3.0, 10.0, 11.0]);
    }

    #[test]
    fn gather_rows_and_reject_bad_ids() {
        let table = iota(6); // 3 rows of 2
        assert_eq!(
            gather(&table, 3, 2, &[2, 0, 2]),
            Some(vec![4.0, 5.0, 0.0, 1.0, 4.0, 5.0])
        );
        assert_eq!(gather(&table, 3, 2, &[]), Some(vec![]));
        assert_eq!(gather(&table, 3, 2, &[1, 3]), None);
    }
}
