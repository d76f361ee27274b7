//! Reductions along one axis.

use tessera_kernels::ReduceOp;

use super::check_len;

/// Splits `shape` around `axis` into (outer count, axis length, inner count).
fn split_at_axis(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    assert!(
        axis < shape.len(),
        "reference: axis {axis} out of range for shape {shape:?}"
    );
    let outer = shape[..axis].iter().product();
    let inner = shape[axis + 1..].iter().product();
    (outer, shape[axis], inner)
}

/// Calls `f` once per output element with an iterator over the values reduced into it.
fn for_each_lane<T>(
    x: &[f32],
    shape: &[usize],
    axis: usize,
    mut f: impl FnMut(&mut dyn Iterator<Item = f32>) -> T,
) -> Vec<T> {
    check_len("reduce input", x.len(), shape);
    let (outer, len, inner) = split_at_axis(shape, axis);
    let mut out = Vec::with_capacity(outer * inner);
    for o in 0..outer {
        for i in 0..inner {
            let mut lane = (0..len).map(|j| x[(o * len + j) * inner + i]);
            out.push(f(&mut lane));
        }
    }
    out
}

/// Reduces `x` along `axis`; the output's shape is `shape` without that axis.
///
/// `Sum` and `Mean` accumulate in `f64`. `Max`/`Min` return NaN if the lane
/// holds a NaN. An empty axis gives 0 for `Sum`, NaN for `Mean`, `-inf` for
/// `Max` and `+inf` for `Min`. `ArgMax` gives the index of [`argmax`] as an
/// `f32` (exact below 2^24); prefer [`argmax`] itself.
///
/// # Panics
/// If `x.len()` does not match `shape` or `axis >= shape.len()`.
pub fn reduce(op: ReduceOp, x: &[f32], shape: &[usize], axis: usize) -> Vec<f32> {
    if op == ReduceOp::ArgMax {
        return argmax(x, shape, axis)
            .into_iter()
            .map(|i| i as f32)
            .collect();
    }
    for_each_lane(x, shape, axis, |lane| {
        let mut count = 0usize;
        let mut acc = match op {
            ReduceOp::Sum | ReduceOp::Mean => 0.0f64,
            ReduceOp::Max => f64::NEG_INFINITY,
            ReduceOp::Min => f64::INFINITY,
            ReduceOp::ArgMax => unreachable!("handled above"),
        };
        for v in lane {
            let v = v as f64;
            count += 1;
            acc = match op {
                ReduceOp::Sum | ReduceOp::Mean => acc + v,
                _ if v.is_nan() || acc.is_nan() => f64::NAN,
                ReduceOp::Max => acc.max(v),
                ReduceOp::Min => acc.min(v),
                ReduceOp::ArgMax => unreachable!("handled above"),
            };
        }
        if op == ReduceOp::Mean {
            acc /= count as f64;
        }
        acc as f32
    })
}

/// Index of the largest value along `axis` (the first one on ties), as `u32`.
///
/// NaN values are never chosen; a lane that is empty or all NaN gives 0.
///
/// # Panics
/// If `x.len()` does not match `shape` or `axis >= shape.len()`.
pub fn argmax(x: &[f32], shape: &[usize], axis: usize) -> Vec<u32> {
    for_each_lane(x, shape, axis, |lane| {
        let mut best: Option<(usize, f32)> = None;
        for (j, v) in lane.enumerate() {
            // Strictly greater keeps the first index on ties.
            if !v.is_nan() && best.is_none_or(|(_, b)| v > b) {
                best = Some((j, v));
            }
        }
        best.map_or(0, |(j, _)| j as u32)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [[1, 2, 3], [4, -5, 6]]
    const X: [f32; 6] = [1.0, 2.0, 3.0, 4.0, -5.0, 6.0];

    #[test]
    fn reduce_each_axis() {
        assert_eq!(reduce(ReduceOp::Sum, &X, &[2, 3], 0), vec![5.0, -3.0, 9.0]);
        assert_eq!(reduce(ReduceOp::Sum, &X, &[2, 3], 1), vec![6.0, 5.0]);
        assert_eq!(reduce(ReduceOp::Mean, &X, &[2, 3], 1), vec![2.0, 5.0 / 3.0]);
        assert_eq!(reduce(ReduceOp::Max, &X, &[2, 3], 0), vec![4.0, 2.0, 6.0]);
        assert_eq!(reduce(ReduceOp::Min, &X, &[2, 3], 1), vec![1.0, -5.0]);
        assert_eq!(reduce(ReduceOp::ArgMax, &X, &[2, 3], 1), vec![2.0, 2.0]);
    }

    #[test]
    fn reduce_middle_axis_of_rank_three() {
        // shape [2, 2, 2]: x[o][j][i] = 4o + 2j + i
        let x: Vec<f32> = (0..8).map(|v| v as f32).collect();
        assert_eq!(
            reduce(ReduceOp::Sum, &x, &[2, 2, 2], 1),
            vec![2.0, 4.0, 10.0, 12.0]
        );
        assert_eq!(argmax(&x, &[2, 2, 2], 1), vec![1, 1, 1, 1]);
    }

    #[test]
    fn sum_accumulates_in_f64() {
        // In f32, 1e8 + 1 + ... + 1 - 1e8 would lose every 1.
        let mut x = vec![1.0f32; 1002];
        x[0] = 1e8;
        x[1001] = -1e8;
        assert_eq!(reduce(ReduceOp::Sum, &x, &[1002], 0), vec![1000.0]);
    }

    #[test]
    fn argmax_ties_nan_and_empty() {
        assert_eq!(argmax(&[3.0, 1.0, 3.0], &[3], 0), vec![0]);
        assert_eq!(argmax(&[f32::NAN, 1.0, 2.0], &[3], 0), vec![2]);
        assert_eq!(argmax(&[f32::NEG_INFINITY; 2], &[2], 0), vec![0]);
        assert_eq!(argmax(&[], &[2, 0], 1), vec![0, 0]);
        assert!(reduce(ReduceOp::Max, &[1.0, f32::NAN], &[2], 0)[0].is_nan());
        assert_eq!(reduce(ReduceOp::Max, &[], &[0], 0), vec![f32::NEG_INFINITY]);
    }
}
