//! Network ops: MatMul, Gemm, Softmax, LogSoftmax, LayerNormalization (with
//! its Mean and InvStdDev outputs), BatchNormalization (inference, and
//! training mode's batch statistics).

use super::{axis, bad, Ctx, ExecResult};
use crate::onnx::value::OnnxValue;
use crate::tensor::Tensor;

pub(crate) fn matmul(ctx: &Ctx<'_>) -> ExecResult<Vec<OnnxValue>> {
    let dev = ctx.device;
    let a = ctx.input(0)?.to_device(dev)?;
    let b = ctx.input(1)?.to_device(dev)?;
    if ctx.node.op == "MatMul" {
        if a.rank() == 0 || b.rank() == 0 {
            return bad("MatMul of a scalar");
        }
        // Rank-1 operands become a row (left) or a column (right), removed after.
        let a2 = if a.rank() == 1 {
            a.unsqueeze(0)?
        } else {
            a.clone()
        };
        let b2 = if b.rank() == 1 {
            b.unsqueeze(1)?
        } else {
            b.clone()
        };
        let mut y = a2.matmul(&b2)?;
        let mut shape = y.shape().to_vec();
        if b.rank() == 1 {
            shape.pop();
        }
        if a.rank() == 1 {
            let row = shape.len() - if b.rank() == 1 { 1 } else { 2 };
            shape.remove(row);
        }
        if shape != y.shape() {
            y = y.contiguous()?.reshape(&shape)?;
        }
        return Ok(vec![OnnxValue::Tensor(y)]);
    }
    let attrs = &ctx.node.attrs;
    if a.rank() != 2 || b.rank() != 2 {
        return bad("Gemm takes rank-2 A and B");
    }
    let a = if attrs.int("transA", 0) != 0 {
        a.transpose(0, 1)?
    } else {
        a
    };
    let b = if attrs.int("transB", 0) != 0 {
        b.transpose(0, 1)?
    } else {
        b
    };
    let (alpha, beta) = (attrs.float("alpha", 1.0), attrs.float("beta", 1.0));
    let mut y = a.matmul(&b)?;
    if alpha != 1.0 {
        y = y.affine(alpha, 0.0)?;
    }
    if let Some(c) = ctx.opt(2) {
        let c = c.to_device(dev)?;
        let c = if beta != 1.0 { c.affine(beta, 0.0)? } else { c };
        y = y.add(&c)?;
    }
    Ok(vec![OnnxValue::Tensor(y)])
}

pub(crate) fn softmax(ctx: &Ctx<'_>) -> ExecResult<Vec<OnnxValue>> {
    let x = ctx.input(0)?.to_device(ctx.device)?;
    let r = x.rank();
    if r == 0 {
        return bad("softmax of a scalar");
    }
    let default = if ctx.opset < 13 { 1 } else { -1 };
    let ax = axis(ctx.node.attrs.int("axis", default), r)?;
    let y = if ctx.opset < 13 {
        // Older opsets: the input as [outer, inner] around the axis.
        let outer: usize = x.shape()[..ax].iter().product();
        let inner: usize = x.shape()[ax..].iter().product();
        x.contiguous()?
            .reshape(&[outer, inner])?
            .softmax(None)?
            .reshape(x.shape())?
    } else if ax + 1 == r {
        x.softmax(None)?
    } else {
        x.transpose(ax, r - 1)?
            .softmax(None)?
            .transpose(ax, r - 1)?
            .contiguous()?
    };
    let y = if ctx.node.op == "LogSoftmax" {
        y.log()?
    } else {
        y
    };
    Ok(vec![OnnxValue::Tensor(y)])
}

pub(crate) fn norm(ctx: &Ctx<'_>) -> ExecResult<Vec<OnnxValue>> {
    let dev = ctx.device;
    let x = ctx.input(0)?.to_device(dev)?;
    let scale = ctx.input(1)?.to_device(dev)?;
    let bias = ctx.opt(2).map(|b| b.to_device(dev)).transpose()?;
    let attrs = &ctx.node.attrs;
    let eps = attrs.float("epsilon", 1e-5);
    if ctx.node.op == "BatchNormalization" {
        let (mean, var) = (ctx.input(3)?.to_device(dev)?, ctx.input(4)?.to_device(dev)?);
        let Some(bias) = bias else {
            return bad("no bias");
        };
        if x.rank() < 2 {
            return bad("BatchNormalization takes an input of rank 2 or more");
        }
        // Per channel (dim 1) vectors broadcast over [N, C, ...].
        let mut shape = vec![1usize; x.rank()];
        shape[1] = scale.numel();
        if attrs.int("training_mode", 0) != 0 {
            return batch_norm_training(ctx, &x, (&scale, &bias), (&mean, &var), &shape);
        }
        // scale / sqrt(var + eps), then shift.
        let k = scale.mul(&var.affine(1.0, eps)?.rsqrt()?)?;
        let shift = bias.sub(&mean.mul(&k)?)?;
        let y = x.mul(&k.reshape(&shape)?)?.add(&shift.reshape(&shape)?)?;
        return Ok(vec![OnnxValue::Tensor(y)]);
    }
    let r = x.rank();
    let ax = axis(attrs.int("axis", -1), r)?;
    let outer: usize = x.shape()[..ax].iter().product();
    let inner: usize = x.shape()[ax..].iter().product();
    let flat = |t: &Tensor| -> ExecResult<Tensor> {
        Ok(t.broadcast_to(&x.shape()[ax..])?
            .contiguous()?
            .reshape(&[inner])?)
    };
    let w = flat(&scale)?;
    let b = bias.as_ref().map(flat).transpose()?;
    let rows = x.contiguous()?.reshape(&[outer, inner])?;
    let y = rows
        .layer_norm(Some(&w), b.as_ref(), eps)?
        .reshape(x.shape())?;
    let mut out = vec![OnnxValue::Tensor(y)];
    let wants = |i: usize| ctx.node.outputs.get(i).is_some_and(|o| !o.is_empty());
    if wants(1) || wants(2) {
        // Mean and 1 / sqrt(var + eps) of each row, shaped [..axis, 1, 1, ..].
        let mut stat_shape = x.shape()[..ax].to_vec();
        stat_shape.resize(r, 1);
        let mean = rows.mean(1)?.reshape(&[outer, 1])?;
        let d = rows.sub(&mean)?;
        let inv = d.mul(&d)?.mean(1)?.affine(1.0, eps)?.rsqrt()?;
        out.push(OnnxValue::Tensor(mean.reshape(&stat_shape)?));
        out.push(OnnxValue::Tensor(inv.reshape(&stat_shape)?));
    }
    Ok(out)
}

/// BatchNormalization in training mode: normalized by the batch's own mean
/// and (population) variance per channel; the optional outputs are the
/// running statistics `input * momentum + batch * (1 - momentum)`.
fn batch_norm_training(
    ctx: &Ctx<'_>,
    x: &Tensor,
    (scale, bias): (&Tensor, &Tensor),
    (mean, var): (&Tensor, &Tensor),
    shape: &[usize],
) -> ExecResult<Vec<OnnxValue>> {
    let attrs = &ctx.node.attrs;
    let (eps, momentum) = (attrs.float("epsilon", 1e-5), attrs.float("momentum", 0.9));
    // Channels first: [C, everything else].
    let c = shape[1];
    let mut perm: Vec<usize> = (0..x.rank()).collect();
    perm.swap(0, 1);
    let rows = x
        .permute(&perm)?
        .contiguous()?
        .reshape(&[c, x.numel() / c.max(1)])?;
    let batch_mean = rows.mean(1)?;
    let d = rows.sub(&batch_mean.reshape(&[c, 1])?)?;
    let batch_var = d.mul(&d)?.mean(1)?;
    let k = scale.mul(&batch_var.affine(1.0, eps)?.rsqrt()?)?;
    let y = x
        .sub(&batch_mean.reshape(shape)?)?
        .mul(&k.reshape(shape)?)?
        .add(&bias.reshape(shape)?)?;
    let running = |input: &Tensor, batch: &Tensor| -> ExecResult<Tensor> {
        Ok(input
            .affine(momentum, 0.0)?
            .add(&batch.affine(1.0 - momentum, 0.0)?)?)
    };
    Ok(vec![
        OnnxValue::Tensor(y),
        OnnxValue::Tensor(running(mean, &batch_mean)?),
        OnnxValue::Tensor(running(var, &batch_var)?),
    ])
}
