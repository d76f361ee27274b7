//! Layer norm and RMS norm along the last axis.

use tessera_kernels::NormKind;

use super::check_len;

/// Length of the last axis (the row), panicking on a scalar shape.
pub(super) fn row_len(what: &str, shape: &[usize]) -> usize {
    *shape
        .last()
        .unwrap_or_else(|| panic!("reference: {what} needs at least one dimension"))
}

/// Panics unless an optional per-column parameter has exactly `cols` values.
fn check_param(what: &str, p: Option<&[f32]>, cols: usize) {
    if let Some(p) = p {
        assert_eq!(
            p.len(),
            cols,
            "reference: {what} has {} values but rows have {cols}",
            p.len()
        );
    }
}

/// Layer normalisation along the last axis, with biased variance:
/// `(x - mean) / sqrt(var + eps) * weight + bias`.
///
/// `weight` and `bias` have one value per column; `None` means 1 and 0.
///
/// # Panics
/// If `x` does not match `shape`, `shape` is a scalar, or a parameter's length
/// is not the row length.
pub fn layernorm(
    x: &[f32],
    shape: &[usize],
    weight: Option<&[f32]>,
    bias: Option<&[f32]>,
    eps: f32,
) -> Vec<f32> {
    check_len("layernorm input", x.len(), shape);
    let cols = row_len("layernorm", shape);
    check_param("layernorm weight", weight, cols);
    check_param("layernorm bias", bias, cols);
    let mut out = Vec::with_capacity(x.len());
    for row in x.chunks(cols.max(1)) {
        let n = row.len() as f64;
        let mean = row.iter().map(|&a| a as f64).sum::<f64>() / n;
        let var = row.iter().map(|&a| (a as f64 - mean).powi(2)).sum::<f64>() / n;
        let inv_std = 1.0 / (var + eps as f64).sqrt();
        for (j, &a) in row.iter().enumerate() {
            let w = weight.map_or(1.0, |w| w[j] as f64);
            let b = bias.map_or(0.0, |b| b[j] as f64);
            out.push(((a as f64 - mean) * inv_std * w + b) as f32);
        }
    }
    out
}

/// RMS normalisation along the last axis: `x / sqrt(mean(x^2) + eps) * weight`.
///
/// `weight` has one value per column; `None` means 1.
///
/// # Panics
/// If `x` does not match `shape`, `shape` is a scalar, or `weight`'s length is
/// not the row length.
pub fn rmsnorm(x: &[f32], shape: &[usize], weight: Option<&[f32]>, eps: f32) -> Vec<f32> {
    check_len("rmsnorm input", x.len(), shape);
    let cols = row_len("rmsnorm", shape);
    check_param("rmsnorm weight", weight, cols);
    let mut out = Vec::with_capacity(x.len());
    for row in x.chunks(cols.max(1)) {
        let mean_sq = row.iter().map(|&a| (a as f64).powi(2)).sum::<f64>() / row.len() as f64;
        let inv_rms = 1.0 / (mean_sq + eps as f64).sqrt();
        for (j, &a) in row.iter().enumerate() {
            let w = weight.map_or(1.0, |w| w[j] as f64);
            out.push((a as f64 * inv_rms * w) as f32);
        }
    }
    out
}

/// Either normalisation, chosen by [`NormKind`]; see [`layernorm`] and [`rmsnorm`].
///
/// # Panics
/// As those functions do, and if `bias` is given for [`NormKind::Rms`], which has none.
pub fn norm(
    kind: NormKind,
    x: &[f32],
    shape: &[usize],
    weight: Option<&[f32]>,
    bias: Option<&[f32]>,
    eps: f32,
) -> Vec<f32> {
    match kind {
        NormKind::Layer => layernorm(x, shape, weight, bias, eps),
        NormKind::Rms => {
            assert!(bias.is_none(), "reference: RMS norm takes no bias");
            rmsnorm(x, shape, weight, eps)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::softmax;

    fn assert_near(got: &[f32], want: &[f64], tol: f64) {
        assert_eq!(got.len(), want.len());
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            assert!((g as f64 - w).abs() <= tol, "[{i}]: got {g}, want {w}");
        }
    }

    #[test]
    fn softmax_of_zero_and_ln2_is_one_third_two_thirds() {
        let ln2 = std::f32::consts::LN_2;
        let got = softmax(&[0.0, ln2], &[1, 2], None);
        assert_near(&got, &[1.0 / 3.0, 2.0 / 3.0], 1e-7);
        // Shifting a row does not change it; huge values do not overflow.
        let e = std::f64::consts::E;
        let got = softmax(&[1000.0, 1001.0], &[2], None);
        assert_near(&got, &[1.0 / (1.0 + e), e / (1.0 + e)], 1e-7);
    }

    #[test]
    fn softmax_with_masks() {
        let ln2 = std::f32::consts::LN_2;
        let ninf = f32::NEG_INFINITY;
        // Two rows, a row-broadcast mask [1, 3] hiding the last column.
        let x = [0.0, ln2, 5.0, ln2, 0.0, -5.0];
        let got = softmax(&x, &[2, 3], Some((&[0.0, 0.0, ninf], &[1, 3])));
        assert_near(
            &got,
            &[1.0 / 3.0, 2.0 / 3.0, 0.0, 2.0 / 3.0, 1.0 / 3.0, 0.0],
            1e-7,
        );
        // An additive mask of ln 2 doubles a column's weight: [0,0] + [ln2, 0].
        let got = softmax(&[0.0, 0.0], &[2], Some((&[ln2, 0.0], &[2])));
        assert_near(&got, &[2.0 / 3.0, 1.0 / 3.0], 1e-7);
        // A fully masked row gives zeros; the other row is unaffected.
        let mask = [ninf, ninf, 0.0, 0.0];
        let got = softmax(&[1.0, 2.0, 0.0, 0.0], &[2, 2], Some((&mask, &[2, 2])));
        assert_eq!(got, vec![0.0, 0.0, 0.5, 0.5]);
        assert!(softmax(&[f32::NAN, ninf], &[2], None)[0].is_nan());
    }

    #[test]
    #[should_panic(expected = "does not broadcast")]
    fn softmax_mask_must_broadcast_to_input() {
        softmax(&[0.0; 2], &[1, 2], Some((&[0.0; 4], &[2, 2])));
    }

    #[test]
    fn layernorm_of_known_vector() {
        // [1,2,3,4]: mean 2.5, biased var 1.25.
        let x = [1.0, 2.0, 3.0, 4.0];
        let s = 1.0 / 1.25f64.sqrt();
        let want = [-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s];
        assert_near(&layernorm(&x, &[4], None, None, 0.0), &want, 1e-7);
        let w = [1.0, 2.0, -1.0, 0.5];
        let b = [0.0, 1.0, 0.0, -1.0];
        let want_wb: Vec<f64> = (0..4)
            .map(|i| want[i] * w[i] as f64 + b[i] as f64)
            .collect();
        assert_near(
            &layernorm(&x, &[1, 4], Some(&w), Some(&b), 0.0),
            &want_wb,
            1e-7,
        );
        // eps enters under the root: constant row -> 0 / sqrt(eps) = 0, no NaN.
        assert_eq!(layernorm(&[3.0; 3], &[3], None, None, 1e-5), vec![0.0; 3]);
        let s_eps = 1.0 / (1.25f64 + 0.75).sqrt();
        assert_near(
            &layernorm(&x, &[4], None, None, 0.75),
            &[-1.5 * s_eps, -0.5 * s_eps, 0.5 * s_eps, 1.5 * s_eps],
            1e-7,
        );
    }

    #[test]
    fn rmsnorm_of_known_vector() {
        // [3, 4]: mean square 12.5.
        let r = 1.0 / 12.5f64.sqrt();
        assert_near(
            &rmsnorm(&[3.0, 4.0], &[2], None, 0.0),
            &[3.0 * r, 4.0 * r],
            1e-7,
        );
        let r_eps = 1.0 / 13.0f64.sqrt();
        let got = rmsnorm(&[3.0, 4.0, -3.0, -4.0], &[2, 2], Some(&[2.0, 1.0]), 0.5);
        assert_near(
            &got,
            &[6.0 * r_eps, 4.0 * r_eps, -6.0 * r_eps, -4.0 * r_eps],
            1e-7,
        );
        assert_eq!(
            norm(NormKind::Rms, &[3.0, 4.0], &[2], None, None, 0.0),
            rmsnorm(&[3.0, 4.0], &[2], None, 0.0)
        );
    }
}
