//! Batched matrix multiplication with broadcast batch dimensions.

use super::broadcast::{broadcast_index, broadcast_shape, for_each_index, numel};
use super::check_len;

/// Splits a matrix operand's shape into (batch dims, rows, cols) as stored.
fn split_matrix<'a>(what: &str, shape: &'a [usize]) -> (&'a [usize], usize, usize) {
    assert!(
        shape.len() >= 2,
        "reference: matmul {what} needs rank >= 2, got {shape:?}"
    );
    let r = shape.len();
    (&shape[..r - 2], shape[r - 2], shape[r - 1])
}

/// `op(a) @ op(b)` over broadcast batch dimensions, accumulated in `f64`.
///
/// `a` is `[..., m, k]`, or `[..., k, m]` when `transpose_a`; `b` is
/// `[..., k, n]`, or `[..., n, k]` when `transpose_b`. Both must have rank 2 or
/// more; their leading (batch) dimensions broadcast numpy-style. Returns the
/// values and the shape `[batch..., m, n]`.
///
/// # Panics
/// If a slice does not match its shape, a rank is below 2, the inner
/// dimensions differ, or the batch dimensions do not broadcast.
pub fn matmul(
    a: &[f32],
    a_shape: &[usize],
    b: &[f32],
    b_shape: &[usize],
    transpose_a: bool,
    transpose_b: bool,
) -> (Vec<f32>, Vec<usize>) {
    check_len("matmul lhs", a.len(), a_shape);
    check_len("matmul rhs", b.len(), b_shape);
    let (a_batch, a_rows, a_cols) = split_matrix("lhs", a_shape);
    let (b_batch, b_rows, b_cols) = split_matrix("rhs", b_shape);
    let (m, k) = if transpose_a {
        (a_cols, a_rows)
    } else {
        (a_rows, a_cols)
    };
    let (kb, n) = if transpose_b {
        (b_cols, b_rows)
    } else {
        (b_rows, b_cols)
    };
    assert_eq!(
        k, kb,
        "reference: matmul inner dimensions differ: {a_shape:?} (transpose {transpose_a}) \
         and {b_shape:?} (transpose {transpose_b})"
    );
    let batch = broadcast_shape(a_batch, b_batch).unwrap_or_else(|| {
        panic!("reference: matmul batch dims {a_batch:?} and {b_batch:?} do not broadcast")
    });
    let mut out = Vec::with_capacity(numel(&batch) * m * n);
    // Row i of op(a) and column j of op(b), gathered contiguously as f64.
    let mut a_row = vec![0.0f64; k];
    let mut b_cols_t = vec![0.0f64; n * k];
    for_each_index(&batch, |bi| {
        let a_mat = &a[broadcast_index(bi, a_batch) * m * k..][..m * k];
        let b_mat = &b[broadcast_index(bi, b_batch) * k * n..][..k * n];
        for j in 0..n {
            for p in 0..k {
                let v = if transpose_b {
                    b_mat[j * k + p]
                } else {
                    b_mat[p * n + j]
                };
                b_cols_t[j * k + p] = v as f64;
            }
        }
        for i in 0..m {
            for (p, slot) in a_row.iter_mut().enumerate() {
                let v = if transpose_a {
                    a_mat[p * m + i]
                } else {
                    a_mat[i * k + p]
                };
                *slot = v as f64;
            }
            for j in 0..n {
                let col = &b_cols_t[j * k..(j + 1) * k];
                let dot: f64 = a_row.iter().zip(col).map(|(x, y)| x * y).sum();
                out.push(dot as f32);
            }
        }
    });
    let mut out_shape = batch;
    out_shape.extend([m, n]);
    (out, out_shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::permute;

    /// A = [[1,2,3],[4,5,6]], B = [[7,8],[9,10],[11,12]]; A@B = [[58,64],[139,154]].
    const A: [f32; 6] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    const B: [f32; 6] = [7.0, 8.0, 9.0, 10.0, 11.0, 12.0];
    const AB: [f32; 4] = [58.0, 64.0, 139.0, 154.0];

    #[test]
    fn two_by_three_times_three_by_two() {
        assert_eq!(
            matmul(&A, &[2, 3], &B, &[3, 2], false, false),
            (AB.to_vec(), vec![2, 2])
        );
        // B@A is 3x3: first row [7+32, 14+40, 21+48].
        let (ba, shape) = matmul(&B, &[3, 2], &A, &[2, 3], false, false);
        assert_eq!(shape, vec![3, 3]);
        assert_eq!(&ba[..3], &[39.0, 54.0, 69.0]);
    }

    #[test]
    fn transposed_operands() {
        let at = permute(&A, &[2, 3], &[1, 0]); // [3, 2]
        let bt = permute(&B, &[3, 2], &[1, 0]); // [2, 3]
        assert_eq!(
            matmul(&at, &[3, 2], &B, &[3, 2], true, false).0,
            AB.to_vec()
        );
        assert_eq!(
            matmul(&A, &[2, 3], &bt, &[2, 3], false, true).0,
            AB.to_vec()
        );
        assert_eq!(
            matmul(&at, &[3, 2], &bt, &[2, 3], true, true).0,
            AB.to_vec()
        );
    }

    #[test]
    fn batch_dims_broadcast() {
        // a: [2, 1, 2, 3] (second copy doubled), b: [3, 3, 2] (copies scaled by 1, 0, -1).
        let a: Vec<f32> = A
            .iter()
            .chain(A.iter())
            .enumerate()
            .map(|(i, &v)| if i < 6 { v } else { 2.0 * v })
            .collect();
        let b: Vec<f32> = [1.0f32, 0.0, -1.0]
            .iter()
            .flat_map(|&s| B.iter().map(move |&v| s * v))
            .collect();
        let (out, shape) = matmul(&a, &[2, 1, 2, 3], &b, &[3, 3, 2], false, false);
        assert_eq!(shape, vec![2, 3, 2, 2]);
        for (block, scale) in out.chunks(4).zip([1.0, 0.0, -1.0, 2.0, 0.0, -2.0]) {
            let want: Vec<f32> = AB.iter().map(|v| v * scale).collect();
            assert_eq!(block, want.as_slice());
        }
    }

    #[test]
    fn degenerate_sizes() {
        // k = 0 gives zeros; m = 0 gives an empty output.
        assert_eq!(
            matmul(&[], &[2, 0], &[], &[0, 3], false, false),
            (vec![0.0; 6], vec![2, 3])
        );
        assert_eq!(
            matmul(&[], &[0, 2], &B[..4], &[2, 2], false, false).0.len(),
            0
        );
    }

    #[test]
    #[should_panic(expected = "inner dimensions differ")]
    fn inner_dims_must_match() {
        matmul(&A, &[2, 3], &A, &[2, 3], false, false);
    }
}
