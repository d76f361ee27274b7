//! Sliding-window ops (convolution, transposed convolution, pooling): the
//! parameter uniform their kernels share and the activation a convolution
//! may apply to its result.
//!
//! Every window kernel addresses up to three spatial dims `[d, h, w]`; 1-D
//! and 2-D ops pass leading dims of size 1 (kernel 1, stride 1, no padding).

use crate::params::uniform_params;

/// Parameters of the window kernels (conv, conv_transpose, pool). Sizes are
/// in elements; spatial dims are `[d, h, w]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct WindowParams {
    /// Threads of the dispatch (each guards itself against it).
    pub total: u32,
    /// Batch size.
    pub n: u32,
    /// Input channels.
    pub c_in: u32,
    /// Output channels.
    pub c_out: u32,
    /// Channel groups (1 for pooling).
    pub groups: u32,
    /// Input depth.
    pub in_d: u32,
    /// Input height.
    pub in_h: u32,
    /// Input width.
    pub in_w: u32,
    /// Output depth.
    pub out_d: u32,
    /// Output height.
    pub out_h: u32,
    /// Output width.
    pub out_w: u32,
    /// Kernel depth.
    pub k_d: u32,
    /// Kernel height.
    pub k_h: u32,
    /// Kernel width.
    pub k_w: u32,
    /// Stride along depth.
    pub stride_d: u32,
    /// Stride along height.
    pub stride_h: u32,
    /// Stride along width.
    pub stride_w: u32,
    /// Dilation along depth.
    pub dil_d: u32,
    /// Dilation along height.
    pub dil_h: u32,
    /// Dilation along width.
    pub dil_w: u32,
    /// Padding before depth.
    pub pad_d: u32,
    /// Padding before height.
    pub pad_h: u32,
    /// Padding before width.
    pub pad_w: u32,
    /// Padding after depth (pooling counts padded positions up to it).
    pub pad_end_d: u32,
    /// Padding after height.
    pub pad_end_h: u32,
    /// Padding after width.
    pub pad_end_w: u32,
    /// Offset of the input (elements).
    pub x_off: u32,
    /// Offset of the weight (elements; unused by pooling).
    pub w_off: u32,
    /// Offset of the bias (elements), used when `has_bias` is 1.
    pub b_off: u32,
    /// 1 when a bias is added.
    pub has_bias: u32,
    /// Activation code ([`ConvActivation::code`]) or, for pooling, the
    /// [`PoolMode`] code.
    pub mode: u32,
    /// First activation argument.
    pub alpha: f32,
    /// Second activation argument.
    pub beta: f32,
    /// Padding to a multiple of 16 bytes.
    pub pad0: u32,
    /// Padding.
    pub pad1: u32,
    /// Padding.
    pub pad2: u32,
}

uniform_params!(WindowParams = include_str!("wgsl/window_params.wgsl");
    total, n, c_in, c_out, groups, in_d, in_h, in_w, out_d, out_h, out_w, k_d, k_h, k_w,
    stride_d, stride_h, stride_w, dil_d, dil_h, dil_w, pad_d, pad_h, pad_w,
    pad_end_d, pad_end_h, pad_end_w, x_off, w_off, b_off, has_bias, mode, alpha, beta, pad0, pad1, pad2);

/// The activation a convolution applies to its biased result, in the same
/// dispatch.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum ConvActivation {
    /// The result as is.
    #[default]
    None,
    /// `max(x, 0)`
    Relu,
    /// `x` if positive, else `alpha * x`
    LeakyRelu {
        /// The negative slope.
        alpha: f32,
    },
    /// `min(max(x, min), max)`
    Clip {
        /// Lower bound.
        min: f32,
        /// Upper bound.
        max: f32,
    },
    /// `1 / (1 + e^-x)`
    Sigmoid,
    /// `max(0, min(1, alpha * x + beta))`
    HardSigmoid {
        /// Slope.
        alpha: f32,
        /// Offset.
        beta: f32,
    },
    /// `x * max(0, min(1, x / 6 + 1 / 2))`
    HardSwish,
}

impl ConvActivation {
    /// The code and two arguments the kernels read (`mode`, `alpha`, `beta`).
    pub fn code(self) -> (u32, f32, f32) {
        match self {
            ConvActivation::None => (0, 0.0, 0.0),
            ConvActivation::Relu => (1, 0.0, 0.0),
            ConvActivation::LeakyRelu { alpha } => (2, alpha, 0.0),
            ConvActivation::Clip { min, max } => (3, min, max),
            ConvActivation::Sigmoid => (4, 0.0, 0.0),
            ConvActivation::HardSigmoid { alpha, beta } => (5, alpha, beta),
            ConvActivation::HardSwish => (6, 1.0 / 6.0, 0.5),
        }
    }
}

/// What a pooling window computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PoolMode {
    /// The largest value in the window (padding ignored).
    Max,
    /// The mean of the window's values inside the input.
    AverageExcludingPad,
    /// The sum of the window's values over the count of its positions
    /// inside the padded input.
    AverageIncludingPad,
}

impl PoolMode {
    /// The code the pool kernel reads (`mode`).
    pub fn code(self) -> u32 {
        match self {
            PoolMode::Max => 0,
            PoolMode::AverageExcludingPad => 1,
            PoolMode::AverageIncludingPad => 2,
        }
    }
}

/// The geometry of a sliding window over a tensor's spatial dims (all but
/// the first two, batch and channels): one entry per spatial dim in each list.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WindowGeometry {
    /// Kernel extent (taps).
    pub kernel: Vec<usize>,
    /// Step between windows.
    pub strides: Vec<usize>,
    /// Step between taps.
    pub dilations: Vec<usize>,
    /// Implicit padding before each dim.
    pub pads_begin: Vec<usize>,
    /// Implicit padding after each dim.
    pub pads_end: Vec<usize>,
}

impl WindowGeometry {
    /// A window of `kernel` taps, stride and dilation 1, no padding.
    pub fn plain(kernel: &[usize]) -> WindowGeometry {
        WindowGeometry {
            kernel: kernel.to_vec(),
            strides: vec![1; kernel.len()],
            dilations: vec![1; kernel.len()],
            pads_begin: vec![0; kernel.len()],
            pads_end: vec![0; kernel.len()],
        }
    }

    /// The number of spatial dims.
    pub fn rank(&self) -> usize {
        self.kernel.len()
    }

    /// Whether every list has one entry per spatial dim and no kernel,
    /// stride or dilation is 0.
    pub fn is_consistent(&self) -> bool {
        let r = self.rank();
        [
            &self.strides,
            &self.dilations,
            &self.pads_begin,
            &self.pads_end,
        ]
        .iter()
        .all(|v| v.len() == r)
            && [&self.kernel, &self.strides, &self.dilations]
                .iter()
                .all(|v| v.iter().all(|&x| x > 0))
    }

    /// The span of the window along dim `i`: `dilation * (kernel - 1) + 1`.
    pub fn span(&self, i: usize) -> Option<usize> {
        self.dilations[i]
            .checked_mul(self.kernel[i].checked_sub(1)?)
            .and_then(|s| s.checked_add(1))
    }

    /// The number of windows along dim `i` of an input of `len`, rounding the
    /// last partial step down, or up when `ceil` (a last window must still
    /// start inside the input or its leading padding); `None` when the
    /// window does not fit the padded input.
    pub fn output_len(&self, i: usize, len: usize, ceil: bool) -> Option<usize> {
        let padded = len
            .checked_add(self.pads_begin[i])?
            .checked_add(self.pads_end[i])?;
        let room = padded.checked_sub(self.span(i)?)?;
        let s = self.strides[i];
        let mut out = if ceil { room.div_ceil(s) } else { room / s } + 1;
        if ceil && (out - 1) * s >= len + self.pads_begin[i] {
            out -= 1;
        }
        Some(out)
    }
}
