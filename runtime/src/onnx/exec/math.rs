//! Elementwise ops: arithmetic with numpy broadcasting, activations, and
//! selection (Where). Float operands run on the device; integer and
//! boolean ones (shape arithmetic, masks) on the host.

use super::index_map::{broadcast_map, take};
use super::{bad, Ctx, ExecResult};
use crate::onnx::value::{HostData, HostTensor, OnnxValue};
use crate::tensor::shape::broadcast_shapes;
use crate::tensor::Tensor;
use tessera_kernels::{BinaryOp, DType, UnaryOp};

pub(crate) fn binary(ctx: &Ctx<'_>) -> ExecResult<Vec<OnnxValue>> {
    let op = ctx.node.op.as_str();
    let parts: Vec<&OnnxValue> = ctx.inputs.iter().flatten().collect();
    let Some((first, rest)) = parts.split_first() else {
        return bad("no inputs");
    };
    if rest.is_empty() && !matches!(op, "Max" | "Min" | "Sum" | "Mean") {
        return bad("needs two inputs");
    }
    let float = parts.iter().any(|p| p.is_float());
    let mut acc = (*first).clone();
    for p in rest {
        acc = if float {
            let kind = match op {
                "Add" | "Sum" | "Mean" => BinaryOp::Add,
                "Sub" => BinaryOp::Sub,
                "Mul" => BinaryOp::Mul,
                "Div" => BinaryOp::Div,
                "Pow" => BinaryOp::Pow,
                "Max" => BinaryOp::Max,
                _ => BinaryOp::Min,
            };
            let a = acc.to_device(ctx.device)?;
            let b = p.to_device(ctx.device)?;
            OnnxValue::Tensor(a.binary(kind, &b)?)
        } else {
            let f: fn(i64, i64) -> Option<i64> = match op {
                "Add" | "Sum" | "Mean" => i64::checked_add,
                "Sub" => i64::checked_sub,
                "Mul" => i64::checked_mul,
                "Div" => i64::checked_div,
                "Max" => |a, b| Some(a.max(b)),
                "Min" => |a, b| Some(a.min(b)),
                _ => |a, b| u32::try_from(b).ok().and_then(|b| a.checked_pow(b)),
            };
            host_ints(&acc.to_host()?, &p.to_host()?, f)?
        };
    }
    if op == "Mean" && parts.len() > 1 {
        let t = acc.to_device(ctx.device)?;
        acc = OnnxValue::Tensor(t.affine(1.0 / parts.len() as f32, 0.0)?);
    }
    Ok(vec![acc])
}

fn host_ints(
    a: &HostTensor,
    b: &HostTensor,
    f: fn(i64, i64) -> Option<i64>,
) -> ExecResult<OnnxValue> {
    let shape = broadcast_shapes("onnx int arithmetic", &a.shape, &b.shape)?;
    let (x, y) = (
        take(&HostData::I64(a.to_i64()), &broadcast_map(&a.shape, &shape)),
        take(&HostData::I64(b.to_i64()), &broadcast_map(&b.shape, &shape)),
    );
    let (HostData::I64(x), HostData::I64(y)) = (x, y) else {
        return bad("integer operands expected");
    };
    let v = x
        .iter()
        .zip(&y)
        .map(|(&p, &q)| {
            f(p, q).ok_or_else(|| {
                super::ExecError::Bad(format!("integer overflow or division by zero: {p}, {q}"))
            })
        })
        .collect::<ExecResult<Vec<i64>>>()?;
    Ok(OnnxValue::Host(HostTensor::new(shape, HostData::I64(v))?))
}

fn scalar(ctx: &Ctx<'_>, v: f32) -> ExecResult<Tensor> {
    Ok(Tensor::from_slice(ctx.device, &[v], &[1])?)
}

pub(crate) fn unary(ctx: &Ctx<'_>) -> ExecResult<Vec<OnnxValue>> {
    let a = &ctx.node.attrs;
    let x = ctx.input(0)?;
    if !x.is_float() {
        let h = x.to_host()?;
        if ctx.node.op == "Clip" {
            return int_clip(ctx, h);
        }
        let f: fn(i64) -> Option<i64> = match ctx.node.op.as_str() {
            "Abs" => i64::checked_abs,
            "Neg" => i64::checked_neg,
            "Relu" => |v| Some(v.max(0)),
            _ => return bad("integer input"),
        };
        let v = h
            .to_i64()
            .into_iter()
            .map(|v| f(v).ok_or_else(|| super::ExecError::Bad("integer overflow".into())))
            .collect::<ExecResult<_>>()?;
        return Ok(vec![OnnxValue::Host(HostTensor::new(
            h.shape,
            HostData::I64(v),
        )?)]);
    }
    let t = x.to_device(ctx.device)?;
    let y = match ctx.node.op.as_str() {
        "Abs" => t.abs()?,
        "Neg" => t.neg()?,
        "Exp" => t.exp()?,
        "Log" => t.log()?,
        "Sqrt" => t.sqrt()?,
        "Tanh" => t.tanh()?,
        "Relu" => t.relu()?,
        "Sigmoid" => t.sigmoid()?,
        "Reciprocal" => scalar(ctx, 1.0)?.div(&t)?,
        "Gelu" => match a.string("approximate").unwrap_or("none") {
            "tanh" => t.unary(UnaryOp::GeluTanh)?,
            "none" => t.unary(UnaryOp::GeluErf)?,
            other => return bad(format!("approximate={other}")),
        },
        "LeakyRelu" => {
            // relu(x) - alpha * relu(-x): exact for every alpha.
            let alpha = a.float("alpha", 0.01);
            t.relu()?.add(&t.neg()?.relu()?.affine(-alpha, 0.0)?)?
        }
        "HardSigmoid" => hard_sigmoid(ctx, &t, a.float("alpha", 0.2), a.float("beta", 0.5))?,
        "HardSwish" => t.mul(&hard_sigmoid(ctx, &t, 1.0 / 6.0, 0.5)?)?,
        "Clip" => clip(ctx, &t)?,
        other => return bad(format!("{other} is not unary")),
    };
    Ok(vec![OnnxValue::Tensor(y)])
}

/// Clip of integers (bounds from inputs 1 and 2, opset 11 on).
fn int_clip(ctx: &Ctx<'_>, h: HostTensor) -> ExecResult<Vec<OnnxValue>> {
    let bound = |i: usize| -> ExecResult<Option<i64>> {
        match ctx.opt(i) {
            Some(v) => Ok(v.to_host()?.to_i64().first().copied()),
            None => Ok(None),
        }
    };
    let (lo, hi) = (bound(1)?.unwrap_or(i64::MIN), bound(2)?.unwrap_or(i64::MAX));
    let v = h.to_i64().into_iter().map(|v| v.max(lo).min(hi)).collect();
    Ok(vec![OnnxValue::Host(HostTensor::new(
        h.shape,
        HostData::I64(v),
    )?)])
}

fn hard_sigmoid(ctx: &Ctx<'_>, t: &Tensor, alpha: f32, beta: f32) -> ExecResult<Tensor> {
    Ok(t.affine(alpha, beta)?
        .maximum(&scalar(ctx, 0.0)?)?
        .minimum(&scalar(ctx, 1.0)?)?)
}

fn clip(ctx: &Ctx<'_>, t: &Tensor) -> ExecResult<Tensor> {
    let a = &ctx.node.attrs;
    let bound = |i: usize, attr: &str| -> ExecResult<Option<Tensor>> {
        if ctx.opset < 11 {
            return a
                .has(attr)
                .then(|| a.float(attr, 0.0))
                .map(|v| scalar(ctx, v))
                .transpose();
        }
        match ctx.opt(i) {
            Some(v) => Ok(Some(v.to_device(ctx.device)?)),
            None => Ok(None),
        }
    };
    let mut y = t.clone();
    if let Some(lo) = bound(1, "min")? {
        y = y.maximum(&lo)?;
    }
    if let Some(hi) = bound(2, "max")? {
        y = y.minimum(&hi)?;
    }
    Ok(y)
}

/// Where: a host condition selecting between device floats, or host values.
pub(crate) fn where_select(ctx: &Ctx<'_>) -> ExecResult<Vec<OnnxValue>> {
    where_op(ctx)
}

fn where_op(ctx: &Ctx<'_>) -> ExecResult<Vec<OnnxValue>> {
    let (c, a, b) = (ctx.host(0)?, ctx.input(1)?, ctx.input(2)?);
    if a.is_float() || b.is_float() {
        let cond: Vec<u32> = c.to_i64().iter().map(|&v| u32::from(v != 0)).collect();
        let cond = Tensor::from_slice(ctx.device, &cond, &c.shape)?;
        let (a, b) = (a.to_device(ctx.device)?, b.to_device(ctx.device)?);
        let (a, b) = (a.cast(DType::F32)?, b.cast(DType::F32)?);
        return Ok(vec![OnnxValue::Tensor(crate::ops::where_select(
            &cond, &a, &b,
        )?)]);
    }
    let (a, b) = (a.to_host()?, b.to_host()?);
    let shape = broadcast_shapes(
        "Where",
        &broadcast_shapes("Where", &c.shape, &a.shape)?,
        &b.shape,
    )?;
    let (mc, ma, mb) = (
        broadcast_map(&c.shape, &shape),
        broadcast_map(&a.shape, &shape),
        broadcast_map(&b.shape, &shape),
    );
    let (cv, av, bv) = (c.to_i64(), a.to_i64(), b.to_i64());
    let v = (0..mc.len())
        .map(|k| if cv[mc[k]] != 0 { av[ma[k]] } else { bv[mb[k]] })
        .collect();
    Ok(vec![OnnxValue::Host(HostTensor::new(
        shape,
        HostData::I64(v),
    )?)])
}
