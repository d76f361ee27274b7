//! Reductions: ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceSumSquare,
//! ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp over any set of axes,
//! and ArgMax / ArgMin (with `select_last_index`). Float tensors reduce on the
//! device, one axis at a time; integer and boolean ones on the host. A reduction
//! over an empty set gives the operation's identity (0, -inf, +inf, ...).

use super::index_map::{apply, signed_map};
use super::shape_ops::{axes_of, reshape};
use super::{axis, bad, Ctx, ExecResult};
use crate::onnx::value::{HostData, HostTensor, OnnxValue};
use crate::tensor::shape::contiguous_strides;
use crate::tensor::Tensor;
use tessera_kernels::ReduceOp;

pub(crate) fn run(ctx: &Ctx<'_>) -> ExecResult<Vec<OnnxValue>> {
    match ctx.node.op.as_str() {
        "ArgMax" | "ArgMin" => arg(ctx),
        _ => reduce(ctx),
    }
}

/// The reduced axes (sorted, unique) or `None` for "return the input" (empty
/// axes with `noop_with_empty_axes`).
fn reduced_axes(ctx: &Ctx<'_>, rank: usize) -> ExecResult<Option<Vec<usize>>> {
    // ReduceSum takes axes as an input from opset 13, the others from 18.
    let axes_input = (ctx.node.op == "ReduceSum" && ctx.opset >= 13) || ctx.opset >= 18;
    let axes = if axes_input {
        axes_of(ctx, 1)?
    } else {
        ctx.node.attrs.ints("axes").map(|v| v.to_vec())
    };
    let mut axes: Vec<usize> = match axes {
        Some(v) if !v.is_empty() => v
            .iter()
            .map(|&a| axis(a, rank))
            .collect::<ExecResult<_>>()?,
        _ if ctx.node.attrs.int("noop_with_empty_axes", 0) != 0 => return Ok(None),
        _ => (0..rank).collect(),
    };
    axes.sort_unstable();
    axes.dedup();
    Ok(Some(axes))
}

/// The shape after reducing `axes` (kept as 1 or removed).
fn reduced_shape(shape: &[usize], axes: &[usize], keep: bool) -> Vec<usize> {
    (0..shape.len())
        .filter_map(|d| match (axes.contains(&d), keep) {
            (false, _) => Some(shape[d]),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect()
}

fn reduce(ctx: &Ctx<'_>) -> ExecResult<Vec<OnnxValue>> {
    let op = ctx.node.op.as_str();
    let x = ctx.input(0)?;
    let r = x.shape().len();
    let keep = ctx.node.attrs.int("keepdims", 1) != 0;
    let Some(axes) = reduced_axes(ctx, r)? else {
        return Ok(vec![x.clone()]);
    };
    let shape = reduced_shape(x.shape(), &axes, keep);
    let empty = axes.iter().any(|&a| x.shape()[a] == 0);
    if empty || !x.is_float() || matches!(x, OnnxValue::Host(_)) {
        return Ok(vec![OnnxValue::Host(host_reduce(
            op,
            &x.to_host()?,
            &axes,
            shape,
        )?)]);
    }
    let t = x.to_device(ctx.device)?;
    let y = match op {
        "ReduceSum" => along(&t, ReduceOp::Sum, &axes)?,
        "ReduceMean" => along(&t, ReduceOp::Mean, &axes)?,
        "ReduceMax" => along(&t, ReduceOp::Max, &axes)?,
        "ReduceMin" => along(&t, ReduceOp::Min, &axes)?,
        "ReduceSumSquare" => along(&t.mul(&t)?, ReduceOp::Sum, &axes)?,
        "ReduceL1" => along(&t.abs()?, ReduceOp::Sum, &axes)?,
        "ReduceL2" => along(&t.mul(&t)?, ReduceOp::Sum, &axes)?.sqrt()?,
        "ReduceLogSum" => along(&t, ReduceOp::Sum, &axes)?.log()?,
        "ReduceLogSumExp" => {
            // max + log(sum(exp(x - max))): no overflow for large x.
            let kept = reduced_shape(t.shape(), &axes, true);
            let m = along(&t, ReduceOp::Max, &axes)?.reshape(&kept)?;
            let s = along(&t.sub(&m)?.exp()?, ReduceOp::Sum, &axes)?;
            s.log()?.reshape(&kept)?.add(&m)?
        }
        other => return bad(format!("{other} is not a reduction")),
    };
    Ok(vec![reshape(&OnnxValue::Tensor(y), &shape)?])
}

/// `t` reduced by `op` along each of `axes` (removed), last first.
fn along(t: &Tensor, op: ReduceOp, axes: &[usize]) -> ExecResult<Tensor> {
    let mut y = t.clone();
    for &a in axes.iter().rev() {
        y = y.reduce(op, a)?;
    }
    Ok(y)
}

/// A reduction in host memory: integers and booleans, constants, and empty
/// sets (each output the operation's identity).
fn host_reduce(
    op: &str,
    x: &HostTensor,
    axes: &[usize],
    shape: Vec<usize>,
) -> ExecResult<HostTensor> {
    let groups = groups(&x.shape, axes);
    let boolean = matches!(x.data, HostData::Bool(_));
    if x.is_float() {
        let v = x.to_f32();
        let out = groups
            .iter()
            .map(|g| {
                let items = g.iter().map(|&i| v[i] as f64);
                float_reduce(op, items, g.len())
            })
            .collect::<ExecResult<Vec<f32>>>()?;
        return Ok(HostTensor::new(shape, HostData::F32(out))?);
    }
    let v = x.to_i64();
    let out = groups
        .iter()
        .map(|g| int_reduce(op, g.iter().map(|&i| v[i]), g.len(), boolean))
        .collect::<ExecResult<Vec<i64>>>()?;
    let data = if boolean && matches!(op, "ReduceMax" | "ReduceMin") {
        HostData::Bool(out.iter().map(|&b| b != 0).collect())
    } else {
        HostData::I64(out)
    };
    Ok(HostTensor::new(shape, data)?)
}

fn float_reduce(op: &str, items: impl Iterator<Item = f64>, n: usize) -> ExecResult<f32> {
    let v: Vec<f64> = items.collect();
    let sum = |f: fn(f64) -> f64| v.iter().map(|&x| f(x)).sum::<f64>();
    let r = match op {
        "ReduceSum" => sum(|x| x),
        "ReduceMean" => sum(|x| x) / n as f64,
        "ReduceMax" => v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        "ReduceMin" => v.iter().copied().fold(f64::INFINITY, f64::min),
        "ReduceSumSquare" => sum(|x| x * x),
        "ReduceL1" => sum(f64::abs),
        "ReduceL2" => sum(|x| x * x).sqrt(),
        "ReduceLogSum" => sum(|x| x).ln(),
        "ReduceLogSumExp" => {
            let m = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if m.is_infinite() {
                m
            } else {
                m + v.iter().map(|&x| (x - m).exp()).sum::<f64>().ln()
            }
        }
        other => return bad(format!("{other} is not a reduction")),
    };
    Ok(r as f32)
}

fn int_reduce(
    op: &str,
    items: impl Iterator<Item = i64>,
    n: usize,
    boolean: bool,
) -> ExecResult<i64> {
    let v: Vec<i64> = items.collect();
    let overflow = || super::ExecError::Bad("integer overflow".into());
    let sum = |f: fn(i64) -> Option<i64>| {
        v.iter()
            .try_fold(0i64, |a, &x| f(x).and_then(|y| a.checked_add(y)))
            .ok_or_else(overflow)
    };
    let (lo, hi) = if boolean {
        (0, 1)
    } else {
        (i64::MIN, i64::MAX)
    };
    Ok(match op {
        "ReduceSum" => sum(Some)?,
        "ReduceMean" if n > 0 => sum(Some)? / n as i64,
        "ReduceMax" => v.iter().copied().fold(lo, i64::max),
        "ReduceMin" => v.iter().copied().fold(hi, i64::min),
        "ReduceSumSquare" => sum(|x| x.checked_mul(x))?,
        "ReduceL1" => sum(i64::checked_abs)?,
        other => {
            return bad(format!(
                "{other} of integers (or of an empty set) is not supported"
            ))
        }
    })
}

/// For each output element (row-major), the flat indices of the input
/// elements it reduces.
fn groups(shape: &[usize], axes: &[usize]) -> Vec<Vec<usize>> {
    let strides = contiguous_strides(shape);
    let kept: Vec<usize> = (0..shape.len()).filter(|d| !axes.contains(d)).collect();
    let pick = |dims: &[usize]| -> (Vec<usize>, Vec<i64>) {
        (
            dims.iter().map(|&d| shape[d]).collect(),
            dims.iter().map(|&d| strides[d] as i64).collect(),
        )
    };
    let (ks, kst) = pick(&kept);
    let (rs, rst) = pick(axes);
    let inner = signed_map(&rs, &rst, 0);
    signed_map(&ks, &kst, 0)
        .into_iter()
        .map(|base| inner.iter().map(|&i| base + i).collect())
        .collect()
}

/// ArgMax / ArgMin along `axis`: int64 indices, first (or with
/// `select_last_index`, last) on ties.
fn arg(ctx: &Ctx<'_>) -> ExecResult<Vec<OnnxValue>> {
    let a = &ctx.node.attrs;
    let x = ctx.input(0)?;
    let r = x.shape().len();
    if r == 0 {
        return bad("argmax of a scalar");
    }
    let ax = axis(a.int("axis", 0), r)?;
    let keep = a.int("keepdims", 1) != 0;
    let last = a.int("select_last_index", 0) != 0;
    let min = ctx.node.op == "ArgMin";
    let dim = x.shape()[ax];
    if dim == 0 {
        return bad(format!("{} over an empty axis", ctx.node.op));
    }
    let shape = reduced_shape(x.shape(), &[ax], keep);
    let idx: Vec<i64> = match x {
        OnnxValue::Tensor(t) if x.is_float() => {
            // ArgMin is ArgMax of -x (negation is exact); the last index is
            // the first of the axis reversed.
            let mut t = if min { t.neg()? } else { t.clone() };
            if last {
                let (rev_shape, map) = reversed(t.shape(), ax);
                let OnnxValue::Tensor(rt) = apply(ctx, &OnnxValue::Tensor(t), &rev_shape, &map)?
                else {
                    return bad("reversal left the device");
                };
                t = rt;
            }
            let i = t.argmax(ax)?.to_vec::<u32>()?;
            i.into_iter()
                .map(|i| {
                    let i = i64::from(i);
                    if last {
                        dim as i64 - 1 - i
                    } else {
                        i
                    }
                })
                .collect()
        }
        _ => {
            let h = x.to_host()?;
            let v = h.to_f32();
            let iv = h.to_i64();
            let better = |j: usize, k: usize| -> bool {
                let o = if h.is_float() {
                    v[j].partial_cmp(&v[k])
                } else {
                    Some(iv[j].cmp(&iv[k]))
                };
                use std::cmp::Ordering::*;
                matches!(
                    (o, min, last),
                    (Some(Greater), false, _) | (Some(Less), true, _) | (Some(Equal), _, true)
                )
            };
            groups(&h.shape, &[ax])
                .iter()
                .map(|g| {
                    let mut best = 0;
                    for k in 1..g.len() {
                        if better(g[k], g[best]) {
                            best = k;
                        }
                    }
                    best as i64
                })
                .collect()
        }
    };
    Ok(vec![OnnxValue::Host(HostTensor::new(
        shape,
        HostData::I64(idx),
    )?)])
}

/// The index map that reverses dim `ax` of `shape`.
fn reversed(shape: &[usize], ax: usize) -> (Vec<usize>, Vec<usize>) {
    let strides = contiguous_strides(shape);
    let mut s: Vec<i64> = strides.iter().map(|&v| v as i64).collect();
    let offset = (shape[ax] as i64 - 1) * s[ax];
    s[ax] = -s[ax];
    (shape.to_vec(), signed_map(shape, &s, offset))
}
