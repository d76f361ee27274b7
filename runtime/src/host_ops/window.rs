//! The window ops on the host: conv, conv_transpose, pool.

use super::memory::{read_f32, write_f32};
use crate::error::Result;
use crate::reference::{self, ConvOperands};
use crate::tensor::Tensor;
use tessera_kernels::{ConvActivation, PoolMode, WindowGeometry};

/// The tensors of a convolution in either direction.
pub(crate) struct ConvTensors<'a> {
    /// The input `[n, c_in, ...]`.
    pub x: &'a Tensor,
    /// The weight.
    pub weight: &'a Tensor,
    /// The bias `[c_out]`.
    pub bias: Option<&'a Tensor>,
    /// Channel groups.
    pub groups: usize,
    /// The allocated output.
    pub out: &'a Tensor,
}

fn run(t: ConvTensors, f: impl FnOnce(ConvOperands, &[usize]) -> Vec<f32>) -> Result<()> {
    let (x, w) = (read_f32(t.x)?, read_f32(t.weight)?);
    let bias = t.bias.map(read_f32).transpose()?;
    let ops = ConvOperands {
        x: (&x, t.x.shape()),
        w: (&w, t.weight.shape()),
        bias: bias.as_deref(),
        groups: t.groups,
    };
    let y = f(ops, &t.out.shape()[2..]);
    write_f32(t.out, &y)
}

/// `activation(conv(x, weight) + bias)` into `out`.
pub(crate) fn conv(t: ConvTensors, geom: &WindowGeometry, act: ConvActivation) -> Result<()> {
    run(t, |ops, out| reference::conv(ops, geom, out, act))
}

/// `conv_transpose(x, weight) + bias` into `out`.
pub(crate) fn conv_transpose(t: ConvTensors, geom: &WindowGeometry) -> Result<()> {
    run(t, |ops, out| {
        reference::conv_transpose(ops, geom, out, ConvActivation::None)
    })
}

/// `mode` pooling of `x` into `out`.
pub(crate) fn pool(x: &Tensor, mode: PoolMode, geom: &WindowGeometry, out: &Tensor) -> Result<()> {
    let y = reference::pool(&read_f32(x)?, x.shape(), mode, geom, &out.shape()[2..]);
    write_f32(out, &y)
}
