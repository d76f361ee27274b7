//! Network ops: MatMul, Gemm, Softmax, LogSoftmax, LayerNormalization,
//! BatchNormalization (inference), the reductions and ArgMax.

use super::shape_ops::{axes_of, reshape};
use super::{axis, bad, Ctx, ExecResult};
use crate::onnx::value::{HostTensor, OnnxValue};
use crate::tensor::Tensor;
use tessera_kernels::ReduceOp;

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
        if attrs.int("training_mode", 0) != 0 || ctx.node.outputs.len() > 1 {
            return bad("training mode is not supported");
        }
        let (mean, var) = (ctx.input(3)?.to_device(dev)?, ctx.input(4)?.to_device(dev)?);
        let Some(bias) = bias else {
            return bad("no bias");
        };
        // Per channel (dim 1): scale / sqrt(var + eps), then shift.
        let mut shape = vec![1usize; x.rank().max(2)];
        shape[1] = scale.numel();
        let k = scale.mul(&var.affine(1.0, eps)?.rsqrt()?)?;
        let shift = bias.sub(&mean.mul(&k)?)?;
        let y = x.mul(&k.reshape(&shape)?)?.add(&shift.reshape(&shape)?)?;
        return Ok(vec![OnnxValue::Tensor(y)]);
    }
    if ctx.node.outputs.iter().skip(1).any(|o| !o.is_empty()) {
        return bad("mean and inverse std outputs are not supported");
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
    let y = x
        .contiguous()?
        .reshape(&[outer, inner])?
        .layer_norm(Some(&w), b.as_ref(), eps)?
        .reshape(x.shape())?;
    Ok(vec![OnnxValue::Tensor(y)])
}

pub(crate) fn reduce(ctx: &Ctx<'_>) -> ExecResult<Vec<OnnxValue>> {
    let op_name = ctx.node.op.as_str();
    let x = ctx.input(0)?;
    let r = x.shape().len();
    let keep = ctx.node.attrs.int("keepdims", 1) != 0;
    if op_name == "ArgMax" {
        if ctx.node.attrs.int("select_last_index", 0) != 0 {
            return bad("select_last_index is not supported");
        }
        let ax = axis(ctx.node.attrs.int("axis", 0), r)?;
        let t = x.to_device(ctx.device)?;
        let idx = OnnxValue::Tensor(t.argmax(ax)?);
        let host = idx.to_host()?;
        let mut shape = x.shape().to_vec();
        if keep {
            shape[ax] = 1
        } else {
            shape.remove(ax);
        }
        return Ok(vec![OnnxValue::Host(HostTensor::new(shape, host.data)?)]);
    }
    let op = match op_name {
        "ReduceMean" => ReduceOp::Mean,
        "ReduceSum" => ReduceOp::Sum,
        "ReduceMax" => ReduceOp::Max,
        _ => ReduceOp::Min,
    };
    // ReduceSum takes axes as an input from opset 13, the others from 18.
    let axes_input = (op == ReduceOp::Sum && ctx.opset >= 13) || ctx.opset >= 18;
    let axes = if axes_input {
        axes_of(ctx, 1)?
    } else {
        ctx.node.attrs.ints("axes").map(|v| v.to_vec())
    };
    let mut axes: Vec<usize> = match axes {
        Some(v) if !v.is_empty() => v.iter().map(|&a| axis(a, r)).collect::<ExecResult<_>>()?,
        _ if ctx.node.attrs.int("noop_with_empty_axes", 0) != 0 => {
            return Ok(vec![x.clone()]);
        }
        _ => (0..r).collect(),
    };
    axes.sort_unstable();
    axes.dedup();
    if !x.is_float() {
        return bad("integer reductions are not supported");
    }
    let mut t = x.to_device(ctx.device)?;
    for &a in axes.iter().rev() {
        t = t.reduce(op, a)?;
    }
    let mut shape = x.shape().to_vec();
    for &a in axes.iter().rev() {
        if keep {
            shape[a] = 1
        } else {
            shape.remove(a);
        }
    }
    Ok(vec![reshape(&OnnxValue::Tensor(t), &shape)?])
}
