//! Ops that move elements: Transpose, Concat, Slice, Gather, Expand. Device
//! tensors use strided views and copies where one expresses the op, else a
//! gather by index map; host tensors apply the index map.

use super::index_map::{apply, broadcast_map, permute_map, signed_map};
use super::{axis, bad, Ctx, ExecResult};
use crate::onnx::value::{HostData, HostTensor, OnnxValue};
use crate::tensor::shape::{broadcast_shapes, contiguous_strides};

pub(crate) fn run(ctx: &Ctx<'_>) -> ExecResult<Vec<OnnxValue>> {
    let out = match ctx.node.op.as_str() {
        "Transpose" => transpose(ctx)?,
        "Concat" => concat(ctx)?,
        "Slice" => slice(ctx)?,
        "Gather" => gather(ctx)?,
        "Expand" => expand(ctx)?,
        other => return bad(format!("{other} is not a layout op")),
    };
    Ok(vec![out])
}

fn transpose(ctx: &Ctx<'_>) -> ExecResult<OnnxValue> {
    let x = ctx.input(0)?;
    let r = x.shape().len();
    let perm: Vec<usize> = match ctx.node.attrs.ints("perm") {
        Some(p) => p.iter().map(|&v| axis(v, r)).collect::<ExecResult<_>>()?,
        None => (0..r).rev().collect(),
    };
    let mut seen = perm.clone();
    seen.sort_unstable();
    if seen != (0..r).collect::<Vec<_>>() {
        return bad(format!("perm {perm:?} is not a permutation of rank {r}"));
    }
    Ok(match x {
        OnnxValue::Tensor(t) => OnnxValue::Tensor(t.permute(&perm)?.contiguous()?),
        OnnxValue::Host(_) => {
            let (shape, map) = permute_map(x.shape(), &perm);
            apply(ctx, x, &shape, &map)?
        }
    })
}

fn concat(ctx: &Ctx<'_>) -> ExecResult<OnnxValue> {
    let parts: Vec<&OnnxValue> = ctx.inputs.iter().flatten().collect();
    let Some(first) = parts.first() else {
        return bad("no inputs");
    };
    let r = first.shape().len();
    let ax = axis(ctx.node.attrs.int("axis", 0), r)?;
    for p in &parts {
        let same =
            p.shape().len() == r && (0..r).all(|d| d == ax || p.shape()[d] == first.shape()[d]);
        if !same {
            return bad(format!(
                "shapes {:?} and {:?} do not concatenate",
                first.shape(),
                p.shape()
            ));
        }
    }
    let all_float = parts.iter().all(|p| p.is_float());
    if all_float && parts.iter().any(|p| matches!(p, OnnxValue::Tensor(_))) {
        {
            let tensors = parts
                .iter()
                .filter(|p| p.shape()[ax] > 0)
                .map(|p| p.to_device(ctx.device))
                .collect::<Result<Vec<_>, _>>()?;
            if tensors.is_empty() {
                return host_concat(&parts, ax);
            }
            let refs: Vec<_> = tensors.iter().collect();
            return Ok(OnnxValue::Tensor(crate::ops::concat(&refs, ax)?));
        }
    }
    host_concat(&parts, ax)
}

fn host_concat(parts: &[&OnnxValue], ax: usize) -> ExecResult<OnnxValue> {
    let hosts = parts
        .iter()
        .map(|p| p.to_host())
        .collect::<Result<Vec<_>, _>>()?;
    let mut shape = hosts[0].shape.clone();
    shape[ax] = hosts.iter().map(|h| h.shape[ax]).sum();
    let outer: usize = shape[..ax].iter().product();
    let float = hosts.iter().any(|h| h.is_float());
    let boolean = hosts.iter().all(|h| matches!(h.data, HostData::Bool(_)));
    let (mut f, mut i, mut b) = (Vec::new(), Vec::new(), Vec::new());
    for o in 0..outer {
        for h in &hosts {
            let block: usize = h.shape[ax..].iter().product();
            let range = o * block..(o + 1) * block;
            if float {
                f.extend_from_slice(&h.to_f32()[range]);
            } else if boolean {
                if let HostData::Bool(v) = &h.data {
                    b.extend_from_slice(&v[range]);
                }
            } else {
                i.extend_from_slice(&h.to_i64()[range]);
            }
        }
    }
    let data = if float {
        HostData::F32(f)
    } else if boolean {
        HostData::Bool(b)
    } else {
        HostData::I64(i)
    };
    Ok(OnnxValue::Host(HostTensor::new(shape, data)?))
}

fn slice(ctx: &Ctx<'_>) -> ExecResult<OnnxValue> {
    let x = ctx.input(0)?;
    let a = &ctx.node.attrs;
    let (starts, ends, axes, steps) = if ctx.opset < 10 {
        (
            a.ints("starts").unwrap_or(&[]).to_vec(),
            a.ints("ends").unwrap_or(&[]).to_vec(),
            a.ints("axes").map(|v| v.to_vec()),
            None,
        )
    } else {
        let opt = |i: usize| -> ExecResult<Option<Vec<i64>>> {
            ctx.opt(i).map(|v| Ok(v.to_host()?.to_i64())).transpose()
        };
        (ctx.ints(1)?, ctx.ints(2)?, opt(3)?, opt(4)?)
    };
    let r = x.shape().len();
    let axes: Vec<usize> = match axes {
        Some(v) => v.iter().map(|&v| axis(v, r)).collect::<ExecResult<_>>()?,
        None => (0..starts.len()).collect(),
    };
    let steps = steps.unwrap_or_else(|| vec![1; starts.len()]);
    if ends.len() != starts.len() || axes.len() != starts.len() || steps.len() != starts.len() {
        return bad("starts, ends, axes and steps differ in length");
    }
    let strides = contiguous_strides(x.shape());
    let mut shape = x.shape().to_vec();
    let mut sstrides: Vec<i64> = strides.iter().map(|&s| s as i64).collect();
    let mut offset = 0i64;
    for k in 0..starts.len() {
        let (d, step) = (axes[k], steps[k]);
        let dim = x.shape()[d] as i64;
        if step == 0 {
            return bad("step 0");
        }
        let norm = |v: i64| if v < 0 { v.saturating_add(dim) } else { v };
        let (start, end, count) = if step > 0 {
            let s = norm(starts[k]).clamp(0, dim);
            let e = norm(ends[k]).clamp(0, dim);
            (s, e, if e > s { (e - s + step - 1) / step } else { 0 })
        } else {
            let s = norm(starts[k]).clamp(-1, dim - 1);
            let e = norm(ends[k]).clamp(-1, dim - 1);
            (
                s,
                e,
                if s > e {
                    (s - e + (-step) - 1) / (-step)
                } else {
                    0
                },
            )
        };
        let _ = end;
        shape[d] = count as usize;
        if count > 0 {
            offset += start * strides[d] as i64;
        }
        sstrides[d] = strides[d] as i64 * step;
    }
    if let OnnxValue::Tensor(t) = x {
        if sstrides.iter().all(|&s| s >= 0) {
            let c = t.contiguous()?;
            let view = c.with_layout(
                shape.clone(),
                sstrides.iter().map(|&s| s as usize).collect(),
                c.offset() + offset as usize,
            );
            return Ok(OnnxValue::Tensor(view.contiguous()?));
        }
    }
    let map = signed_map(&shape, &sstrides, offset);
    apply(ctx, x, &shape, &map)
}

fn gather(ctx: &Ctx<'_>) -> ExecResult<OnnxValue> {
    let x = ctx.input(0)?;
    let idx = ctx.host(1)?;
    let r = x.shape().len();
    if r == 0 {
        return bad("gather from a scalar");
    }
    let ax = axis(ctx.node.attrs.int("axis", 0), r)?;
    let dim = x.shape()[ax];
    let ids = idx
        .to_i64()
        .into_iter()
        .map(|i| {
            let v = if i < 0 { i + dim as i64 } else { i };
            if (0..dim as i64).contains(&v) {
                Ok(v as usize)
            } else {
                bad(format!("index {i} out of range for dim {dim}"))
            }
        })
        .collect::<ExecResult<Vec<usize>>>()?;
    let outer: usize = x.shape()[..ax].iter().product();
    let inner: usize = x.shape()[ax + 1..].iter().product();
    let mut shape = x.shape()[..ax].to_vec();
    shape.extend_from_slice(&idx.shape);
    shape.extend_from_slice(&x.shape()[ax + 1..]);
    if let (OnnxValue::Tensor(t), 0) = (x, outer.saturating_sub(1)) {
        if inner > 0 && !ids.is_empty() {
            // Rows of a [dim, inner] table: the op layer's gather.
            let table = t.contiguous()?.reshape(&[dim, inner])?;
            let ids: Vec<u32> = ids.iter().map(|&i| i as u32).collect();
            let ids = crate::Tensor::from_slice(ctx.device, &ids, &[ids.len()])?;
            return Ok(OnnxValue::Tensor(table.gather_rows(&ids)?.reshape(&shape)?));
        }
    }
    let mut map = Vec::with_capacity(outer * ids.len() * inner);
    for o in 0..outer {
        for &i in &ids {
            let base = (o * dim + i) * inner;
            map.extend(base..base + inner);
        }
    }
    apply(ctx, x, &shape, &map)
}

fn expand(ctx: &Ctx<'_>) -> ExecResult<OnnxValue> {
    let x = ctx.input(0)?;
    let spec: Vec<usize> = ctx
        .ints(1)?
        .iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| super::ExecError::Bad(format!("negative dim {d}")))
        })
        .collect::<ExecResult<_>>()?;
    let shape = broadcast_shapes("Expand", x.shape(), &spec)?;
    if crate::tensor::shape::checked_numel(&shape)
        .is_none_or(|n| !crate::onnx::limits::within_max_elements(n))
    {
        return bad("expanded shape is too large");
    }
    Ok(match x {
        OnnxValue::Tensor(t) => OnnxValue::Tensor(t.broadcast_to(&shape)?.contiguous()?),
        OnnxValue::Host(_) => {
            let map = broadcast_map(x.shape(), &shape);
            apply(ctx, x, &shape, &map)?
        }
    })
}
