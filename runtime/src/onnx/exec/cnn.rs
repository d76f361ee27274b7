//! Convolutional network ops: Conv (and the fused Conv that graph rewrites
//! make), ConvTranspose, MaxPool, AveragePool, GlobalAveragePool,
//! GlobalMaxPool and LRN, onto the op layer's conv, conv_transpose and pool.

use super::window_attrs::{auto_pad, kernel_shape, sizes, window, AutoPad};
use super::{bad, Ctx, ExecResult};
use crate::onnx::fuse::fused_activation;
use crate::onnx::value::OnnxValue;
use crate::tensor::Tensor;
use tessera_kernels::{PoolMode, ReduceOp, WindowGeometry};

/// The input as a device tensor of rank 3 or more (`[n, c, ...spatial]`).
fn spatial_input(ctx: &Ctx<'_>) -> ExecResult<Tensor> {
    let x = ctx.input(0)?.to_device(ctx.device)?;
    if x.rank() < 3 {
        return bad(format!(
            "input {:?} needs at least one spatial dim",
            x.shape()
        ));
    }
    Ok(x)
}

fn groups(ctx: &Ctx<'_>) -> ExecResult<usize> {
    match usize::try_from(ctx.node.attrs.int("group", 1)) {
        Ok(g) if g > 0 => Ok(g),
        _ => bad("group must be positive"),
    }
}

pub(crate) fn run(ctx: &Ctx<'_>) -> ExecResult<Vec<OnnxValue>> {
    let y = match ctx.node.op.as_str() {
        "Conv" | "FusedConv" => conv(ctx)?,
        "ConvTranspose" => conv_transpose(ctx)?,
        "MaxPool" | "AveragePool" => pool(ctx)?,
        "GlobalAveragePool" | "GlobalMaxPool" => global_pool(ctx)?,
        "LRN" => lrn(ctx)?,
        other => return bad(format!("{other} is not a convolutional op")),
    };
    Ok(vec![OnnxValue::Tensor(y)])
}

/// A convolution's input, weight (of the input's rank) and optional bias, on
/// the device.
fn conv_operands(ctx: &Ctx<'_>) -> ExecResult<(Tensor, Tensor, Option<Tensor>)> {
    let x = spatial_input(ctx)?;
    let w = ctx.input(1)?.to_device(ctx.device)?;
    let b = ctx.opt(2).map(|b| b.to_device(ctx.device)).transpose()?;
    if w.rank() != x.rank() {
        return bad(format!(
            "weight {:?} does not match input {:?}",
            w.shape(),
            x.shape()
        ));
    }
    Ok((x, w, b))
}

fn conv(ctx: &Ctx<'_>) -> ExecResult<Tensor> {
    let (x, w, b) = conv_operands(ctx)?;
    let kernel = w.shape()[2..].to_vec();
    if let Some(k) = ctx.node.attrs.ints("kernel_shape") {
        if k.iter().map(|&v| v as usize).ne(kernel.iter().copied()) {
            return bad(format!(
                "kernel_shape {k:?} differs from the weight's {kernel:?}"
            ));
        }
    }
    let geom = window(ctx, &x.shape()[2..], kernel)?;
    let act = fused_activation(&ctx.node.attrs);
    Ok(x.conv(&w, b.as_ref(), groups(ctx)?, &geom, act)?)
}

fn conv_transpose(ctx: &Ctx<'_>) -> ExecResult<Tensor> {
    let (x, w, b) = conv_operands(ctx)?;
    let spatial = x.shape()[2..].to_vec();
    let r = spatial.len();
    let mut geom = window(ctx, &spatial, w.shape()[2..].to_vec())?;
    let mut out_pad = sizes(ctx, "output_padding", r)?;
    let mode = auto_pad(ctx)?;
    // With output_shape (or SAME padding) the pads follow from the output size.
    let target: Option<Vec<usize>> = match ctx.node.attrs.ints("output_shape") {
        Some(v) if v.len() == r || v.len() == r + 2 => Some(sizes_of(&v[v.len() - r..])?),
        Some(v) => return bad(format!("output_shape {v:?} does not fit {r} spatial dims")),
        None if matches!(mode, AutoPad::SameUpper | AutoPad::SameLower) => Some(
            spatial
                .iter()
                .zip(&geom.strides)
                .map(|(l, s)| l * s)
                .collect(),
        ),
        None => None,
    };
    if let Some(target) = target {
        for i in 0..r {
            let full = (spatial[i].saturating_sub(1) * geom.strides[i])
                .saturating_add(out_pad[i])
                .saturating_add(geom.span(i).unwrap_or(0));
            let (begin, end) = if full >= target[i] {
                let total = full - target[i];
                if mode == AutoPad::SameUpper {
                    (total / 2, total - total / 2)
                } else {
                    (total - total / 2, total / 2)
                }
            } else {
                // Past the scatter's reach: zeros (plus bias) at the end.
                out_pad[i] += target[i] - full;
                (0, 0)
            };
            geom.pads_begin[i] = begin;
            geom.pads_end[i] = end;
        }
    }
    Ok(x.conv_transpose(&w, b.as_ref(), groups(ctx)?, &geom, &out_pad)?)
}

fn sizes_of(v: &[i64]) -> ExecResult<Vec<usize>> {
    v.iter()
        .map(|&x| match usize::try_from(x) {
            Ok(u) if u > 0 && u <= u32::MAX as usize => Ok(u),
            _ => bad(format!("size {x} is out of range")),
        })
        .collect()
}

fn pool(ctx: &Ctx<'_>) -> ExecResult<Tensor> {
    let x = spatial_input(ctx)?;
    let a = &ctx.node.attrs;
    if ctx.node.outputs.iter().skip(1).any(|o| !o.is_empty()) {
        return bad("the Indices output of MaxPool is not supported");
    }
    let spatial = x.shape()[2..].to_vec();
    let kernel = kernel_shape(ctx, spatial.len())?;
    let geom = window(ctx, &spatial, kernel)?;
    let mode = match (ctx.node.op.as_str(), a.int("count_include_pad", 0) != 0) {
        ("MaxPool", _) => PoolMode::Max,
        (_, false) => PoolMode::AverageExcludingPad,
        (_, true) => PoolMode::AverageIncludingPad,
    };
    Ok(x.pool(mode, &geom, a.int("ceil_mode", 0) != 0)?)
}

fn global_pool(ctx: &Ctx<'_>) -> ExecResult<Tensor> {
    let x = spatial_input(ctx)?;
    let (n, c) = (x.shape()[0], x.shape()[1]);
    let plane: usize = x.shape()[2..].iter().product();
    let op = if ctx.node.op == "GlobalAveragePool" {
        ReduceOp::Mean
    } else {
        ReduceOp::Max
    };
    let mut shape = vec![n, c];
    shape.extend(std::iter::repeat_n(1, x.rank() - 2));
    if plane == 0 {
        return bad("global pooling of an empty plane");
    }
    Ok(x.contiguous()?
        .reshape(&[n * c, plane])?
        .reduce(op, 1)?
        .reshape(&shape)?)
}

/// `x / (bias + alpha / size * sum of x^2 over `size` neighbouring
/// channels)^beta`: the channel sum is an average pool (padding counted) over
/// `[n, 1, c, plane]`.
fn lrn(ctx: &Ctx<'_>) -> ExecResult<Tensor> {
    let x = spatial_input(ctx)?;
    let a = &ctx.node.attrs;
    let size = match usize::try_from(a.int("size", 0)) {
        Ok(s) if s > 0 && s <= u32::MAX as usize => s,
        _ => return bad("size must be positive"),
    };
    let (alpha, beta, bias) = (
        a.float("alpha", 1e-4),
        a.float("beta", 0.75),
        a.float("bias", 1.0),
    );
    let (n, c) = (x.shape()[0], x.shape()[1]);
    let plane: usize = x.shape()[2..].iter().product();
    let x = x.contiguous()?;
    let sq = x.mul(&x)?.reshape(&[n, 1, c, plane])?;
    let geom = WindowGeometry {
        kernel: vec![size, 1],
        strides: vec![1, 1],
        dilations: vec![1, 1],
        pads_begin: vec![(size - 1) / 2, 0],
        pads_end: vec![size - 1 - (size - 1) / 2, 0],
    };
    let mean = sq.pool(PoolMode::AverageIncludingPad, &geom, false)?;
    let base = mean.affine(alpha, bias)?;
    let exponent = Tensor::from_slice(ctx.device, &[-beta], &[1])?;
    let scale = base.pow(&exponent)?.reshape(x.shape())?;
    Ok(x.mul(&scale)?)
}
