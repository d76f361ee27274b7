//! Convolution and transposed convolution (NC + 1 to 3 spatial dims, as
//! ONNX's Conv and ConvTranspose define them), with the bias and activation.

use super::window::{activate, dims3, tap, Dim};
use super::{check_len, numel};
use tessera_kernels::{ConvActivation, WindowGeometry};

/// The operands of a convolution: x `[n, c_in, ...spatial]`, weight, optional
/// bias `[c_out]`, and the channel groups.
#[derive(Clone, Copy, Debug)]
pub struct ConvOperands<'a> {
    /// The input's values and shape.
    pub x: (&'a [f32], &'a [usize]),
    /// The weight's values and shape: `[c_out, c_in / groups, ...kernel]` for
    /// a convolution, `[c_in, c_out / groups, ...kernel]` for a transposed one.
    pub w: (&'a [f32], &'a [usize]),
    /// The bias, `[c_out]`.
    pub bias: Option<&'a [f32]>,
    /// Channel groups.
    pub groups: usize,
}

fn output_plane(dims: &[Dim; 3]) -> usize {
    dims.iter().map(|d| d.output).product()
}

/// `activation(conv(x, w) + bias)` with output spatial dims `out_spatial`;
/// returns the output `[n, c_out, ...out_spatial]`.
pub fn conv(
    ops: ConvOperands,
    geom: &WindowGeometry,
    out_spatial: &[usize],
    act: ConvActivation,
) -> Vec<f32> {
    let ((x, xs), (w, ws)) = (ops.x, ops.w);
    check_len("x", x.len(), xs);
    check_len("weight", w.len(), ws);
    let (n, c_in, c_out, g) = (xs[0], xs[1], ws[0], ops.groups);
    let (cin_g, cout_g) = (c_in / g, c_out / g);
    let dims = dims3(geom, &xs[2..], out_spatial);
    let [dd, dh, dw] = dims;
    let (in_plane, out_plane) = (numel(&xs[2..]), output_plane(&dims));
    let k_size = dd.kernel * dh.kernel * dw.kernel;
    let mut y = vec![0f32; n * c_out * out_plane];
    // Per output channel, a plane of f64 sums, each tap added over the plane.
    let mut acc = vec![0f64; out_plane];
    for b in 0..n {
        for oc in 0..c_out {
            let grp = oc / cout_g;
            acc.fill(ops.bias.map_or(0.0, |bias| bias[oc] as f64));
            for ic in 0..cin_g {
                let xc = &x[(b * c_in + grp * cin_g + ic) * in_plane..][..in_plane];
                let wc = &w[(oc * cin_g + ic) * k_size..][..k_size];
                for (kd, kh, kw) in taps(&dims) {
                    let wv = wc[(kd * dh.kernel + kh) * dw.kernel + kw] as f64;
                    add_tap(&mut acc, xc, &dims, [kd, kh, kw], wv);
                }
            }
            let out = &mut y[(b * c_out + oc) * out_plane..][..out_plane];
            for (o, a) in out.iter_mut().zip(&acc) {
                *o = activate(act, *a) as f32;
            }
        }
    }
    y
}

/// Every tap `(kd, kh, kw)` of the kernel.
fn taps(dims: &[Dim; 3]) -> impl Iterator<Item = (usize, usize, usize)> {
    let [d, h, w] = *dims;
    (0..d.kernel)
        .flat_map(move |a| (0..h.kernel).flat_map(move |b| (0..w.kernel).map(move |c| (a, b, c))))
}

/// `acc[o] += wv * x[tap(o)]` for every output position whose tap lies inside x.
fn add_tap(acc: &mut [f64], xc: &[f32], dims: &[Dim; 3], k: [usize; 3], wv: f64) {
    let [dd, dh, dw] = *dims;
    let inside = |d: &Dim, i: i64| i >= 0 && (i as usize) < d.input;
    for od in 0..dd.output {
        let id = tap(&dd, od, k[0]);
        if !inside(&dd, id) {
            continue;
        }
        for oh in 0..dh.output {
            let ih = tap(&dh, oh, k[1]);
            if !inside(&dh, ih) {
                continue;
            }
            let row = &xc[(id as usize * dh.input + ih as usize) * dw.input..][..dw.input];
            let out = &mut acc[(od * dh.output + oh) * dw.output..][..dw.output];
            for (ow, a) in out.iter_mut().enumerate() {
                let iw = tap(&dw, ow, k[2]);
                if inside(&dw, iw) {
                    *a += wv * row[iw as usize] as f64;
                }
            }
        }
    }
}

/// `activation(conv_transpose(x, w) + bias)`: every input value scattered
/// through the kernel into an output `[n, c_out, ...out_spatial]`
/// (`c_out = w[1] * groups`), output position `i * stride + k * dilation - pad`.
pub fn conv_transpose(
    ops: ConvOperands,
    geom: &WindowGeometry,
    out_spatial: &[usize],
    act: ConvActivation,
) -> Vec<f32> {
    let ((x, xs), (w, ws)) = (ops.x, ops.w);
    check_len("x", x.len(), xs);
    check_len("weight", w.len(), ws);
    let (n, c_in, g) = (xs[0], xs[1], ops.groups);
    let (cin_g, cout_g) = (c_in / g, ws[1]);
    let c_out = cout_g * g;
    // The scatter's "input" dims are x's; its "output" dims are y's.
    let dims = dims3(geom, &xs[2..], out_spatial);
    let [dd, dh, dw] = dims;
    let (in_plane, out_plane) = (numel(&xs[2..]), output_plane(&dims));
    let k_size = dd.kernel * dh.kernel * dw.kernel;
    let mut acc = vec![0f64; n * c_out * out_plane];
    for b in 0..n {
        for ic in 0..c_in {
            let grp = ic / cin_g;
            let xc = &x[(b * c_in + ic) * in_plane..][..in_plane];
            for ocg in 0..cout_g {
                let oc = grp * cout_g + ocg;
                let wc = &w[(ic * cout_g + ocg) * k_size..][..k_size];
                let out = &mut acc[(b * c_out + oc) * out_plane..][..out_plane];
                for (i, &xv) in xc.iter().enumerate() {
                    let at = [
                        i / (dh.input * dw.input),
                        (i / dw.input) % dh.input,
                        i % dw.input,
                    ];
                    for (kd, kh, kw) in taps(&dims) {
                        let o = [(&dd, at[0], kd), (&dh, at[1], kh), (&dw, at[2], kw)]
                            .map(|(d, i, k)| (i * d.stride + k * d.dilation) as i64 - d.pad as i64);
                        let fits = o
                            .iter()
                            .zip(&dims)
                            .all(|(&v, d)| v >= 0 && (v as usize) < d.output);
                        if fits {
                            let wv = wc[(kd * dh.kernel + kh) * dw.kernel + kw] as f64;
                            let pos = (o[0] as usize * dh.output + o[1] as usize) * dw.output
                                + o[2] as usize;
                            out[pos] += xv as f64 * wv;
                        }
                    }
                }
            }
        }
    }
    acc.chunks(out_plane)
        .enumerate()
        .flat_map(|(plane, values)| {
            let b = ops.bias.map_or(0.0, |bias| bias[plane % c_out] as f64);
            values.iter().map(move |&v| activate(act, v + b) as f32)
        })
        .collect()
}
