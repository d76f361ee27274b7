//! Max and average pooling (NC + 1 to 3 spatial dims, as ONNX's MaxPool and
//! AveragePool define them).

use super::window::{dims3, tap};
use super::{check_len, numel};
use tessera_kernels::{PoolMode, WindowGeometry};

/// `mode` pooling of x `[n, c, ...spatial]` into `[n, c, ...out_spatial]`.
/// Max ignores padding (NaN propagates); the averages divide the sum of the
/// taps inside x by their count, or by the count of taps inside the padded
/// extent `[-pad, len + pad_end)` ([`PoolMode::AverageIncludingPad`]).
pub fn pool(
    x: &[f32],
    x_shape: &[usize],
    mode: PoolMode,
    geom: &WindowGeometry,
    out_spatial: &[usize],
) -> Vec<f32> {
    check_len("x", x.len(), x_shape);
    let planes = x_shape[0] * x_shape[1];
    let dims = dims3(geom, &x_shape[2..], out_spatial);
    let in_plane = numel(&x_shape[2..]);
    let [dd, dh, dw] = dims;
    let mut y = Vec::with_capacity(planes * numel(out_spatial));
    for plane in x.chunks(in_plane.max(1)).take(planes) {
        for od in 0..dd.output {
            for oh in 0..dh.output {
                for ow in 0..dw.output {
                    let (mut best, mut sum, mut inside, mut padded) = (f64::MIN, 0f64, 0, 0);
                    for kd in 0..dd.kernel {
                        for kh in 0..dh.kernel {
                            for kw in 0..dw.kernel {
                                let at = [tap(&dd, od, kd), tap(&dh, oh, kh), tap(&dw, ow, kw)];
                                let within = |end: fn(&super::window::Dim) -> usize| {
                                    at.iter()
                                        .zip(&dims)
                                        .all(|(&i, d)| i >= 0 && (i as usize) < end(d))
                                };
                                if at
                                    .iter()
                                    .zip(&dims)
                                    .all(|(&i, d)| i < (d.input + d.pad_end) as i64)
                                {
                                    padded += 1;
                                }
                                if within(|d| d.input) {
                                    let i = (at[0] as usize * dh.input + at[1] as usize) * dw.input
                                        + at[2] as usize;
                                    let v = plane[i] as f64;
                                    best = if v.is_nan() || best.is_nan() {
                                        f64::NAN
                                    } else {
                                        best.max(v)
                                    };
                                    sum += v;
                                    inside += 1;
                                }
                            }
                        }
                    }
                    y.push(match mode {
                        PoolMode::Max => best as f32,
                        PoolMode::AverageExcludingPad => (sum / inside.max(1) as f64) as f32,
                        PoolMode::AverageIncludingPad => (sum / padded.max(1) as f64) as f32,
                    });
                }
            }
        }
    }
    y
}
