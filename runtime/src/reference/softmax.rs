//! Softmax along the last axis, the oracle of `Tensor::softmax`.

use super::broadcast::{broadcast_index, broadcast_shape, for_each_index};
use super::check_len;
use super::norm::row_len;

/// Softmax along the last axis, with an optional additive mask.
///
/// The mask (values and shape) must broadcast to `shape` itself; it is added to
/// `x` in `f64` before the softmax. The computation is the stable one:
/// `exp(v - max(v)) / sum(exp(v - max(v)))`.
///
/// A row whose values (after masking) are all `-inf` has no defined softmax;
/// this reference returns a row of zeros for it, and the GPU kernel does the
/// same (a fully masked query attends to nothing). A row containing `+inf` or
/// NaN gives NaN.
///
/// # Panics
/// If `x` does not match `shape`, `shape` is a scalar, or the mask does not
/// broadcast to `shape`.
pub fn softmax(x: &[f32], shape: &[usize], mask: Option<(&[f32], &[usize])>) -> Vec<f32> {
    check_len("softmax input", x.len(), shape);
    let cols = row_len("softmax", shape);
    let mut v: Vec<f64> = x.iter().map(|&a| a as f64).collect();
    if let Some((m, m_shape)) = mask {
        check_len("softmax mask", m.len(), m_shape);
        assert!(
            broadcast_shape(shape, m_shape).as_deref() == Some(shape),
            "reference: mask shape {m_shape:?} does not broadcast to {shape:?}"
        );
        let mut flat = 0;
        for_each_index(shape, |i| {
            v[flat] += m[broadcast_index(i, m_shape)] as f64;
            flat += 1;
        });
    }
    let mut out = Vec::with_capacity(x.len());
    for row in v.chunks(cols.max(1)) {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if max == f64::NEG_INFINITY && !row.iter().any(|a| a.is_nan()) {
            out.extend(std::iter::repeat_n(0.0, row.len()));
            continue;
        }
        let exps: Vec<f64> = row.iter().map(|&a| (a - max).exp()).collect();
        let sum: f64 = exps.iter().sum();
        out.extend(exps.iter().map(|&e| (e / sum) as f32));
    }
    out
}
