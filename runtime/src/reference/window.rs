//! Shared by the window references (conv, conv_transpose, pool): a geometry
//! of 1 to 3 spatial dims seen as exactly 3 (`[d, h, w]`, leading dims of
//! size 1), and the activation a convolution applies.

use tessera_kernels::{ConvActivation, WindowGeometry};

/// One spatial dim of a window, as the 3-D loops read it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dim {
    pub input: usize,
    pub output: usize,
    pub kernel: usize,
    pub stride: usize,
    pub dilation: usize,
    pub pad: usize,
    pub pad_end: usize,
}

/// The three dims `[d, h, w]` of `geom` for an input of spatial dims
/// `input` and an output of `output`; panics past three dims.
pub(crate) fn dims3(geom: &WindowGeometry, input: &[usize], output: &[usize]) -> [Dim; 3] {
    let r = geom.rank();
    assert!(
        (1..=3).contains(&r) && input.len() == r && output.len() == r,
        "reference: window of rank {r} over spatial dims {input:?} -> {output:?}"
    );
    let mut dims = [Dim {
        input: 1,
        output: 1,
        kernel: 1,
        stride: 1,
        dilation: 1,
        pad: 0,
        pad_end: 0,
    }; 3];
    for i in 0..r {
        dims[3 - r + i] = Dim {
            input: input[i],
            output: output[i],
            kernel: geom.kernel[i],
            stride: geom.strides[i],
            dilation: geom.dilations[i],
            pad: geom.pads_begin[i],
            pad_end: geom.pads_end[i],
        };
    }
    dims
}

/// The input coordinate tap `k` of window `o` reads along `d` (may be in
/// the padding: negative or past the input).
pub(crate) fn tap(d: &Dim, o: usize, k: usize) -> i64 {
    (o * d.stride + k * d.dilation) as i64 - d.pad as i64
}

/// `act` applied to `v`, in f64.
pub fn activate(act: ConvActivation, v: f64) -> f64 {
    let clamp01 = |x: f64| x.clamp(0.0, 1.0);
    match act {
        ConvActivation::None => v,
        ConvActivation::Relu => v.max(0.0),
        ConvActivation::LeakyRelu { alpha } => {
            if v >= 0.0 {
                v
            } else {
                alpha as f64 * v
            }
        }
        ConvActivation::Clip { min, max } => v.max(min as f64).min(max as f64),
        ConvActivation::Sigmoid => 1.0 / (1.0 + (-v).exp()),
        ConvActivation::HardSigmoid { alpha, beta } => clamp01(alpha as f64 * v + beta as f64),
        ConvActivation::HardSwish => v * clamp01(v / 6.0 + 0.5),
    }
}
