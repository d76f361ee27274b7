//! Comparisons and boolean logic: Equal, Less, Greater, LessOrEqual,
//! GreaterOrEqual, Not, And, Or, Xor. A comparison with a float operand on
//! the device runs there (the op layer's comparison `binary` ops, 1.0 or 0.0)
//! and its mask is read back, since booleans live on the host; integer and
//! host operands compare on the host.

use super::index_map::broadcast_map;
use super::{bad, Ctx, ExecResult};
use crate::onnx::value::{HostData, HostTensor, OnnxValue};
use crate::tensor::shape::broadcast_shapes;
use std::cmp::Ordering;
use tessera_kernels::BinaryOp;

pub(crate) fn run(ctx: &Ctx<'_>) -> ExecResult<Vec<OnnxValue>> {
    let op = ctx.node.op.as_str();
    let out = match op {
        "Not" => {
            let h = ctx.host(0)?;
            let v = h.to_i64().iter().map(|&v| v == 0).collect();
            HostTensor::new(h.shape, HostData::Bool(v))?
        }
        "And" | "Or" | "Xor" => {
            let f: fn(bool, bool) -> bool = match op {
                "And" => |a, b| a && b,
                "Or" => |a, b| a || b,
                _ => |a, b| a != b,
            };
            let (a, b) = (ctx.host(0)?, ctx.host(1)?);
            let (shape, x, y) = broadcast_pair(op, &a, &b)?;
            let v = x.iter().zip(&y).map(|(&p, &q)| f(p != 0, q != 0)).collect();
            HostTensor::new(shape, HostData::Bool(v))?
        }
        _ => compare(ctx, op)?,
    };
    Ok(vec![OnnxValue::Host(out)])
}

/// The comparison `op` of inputs 0 and 1.
fn compare(ctx: &Ctx<'_>, op: &str) -> ExecResult<HostTensor> {
    let kind = match op {
        "Equal" => BinaryOp::Equal,
        "Less" => BinaryOp::Less,
        "Greater" => BinaryOp::Greater,
        "LessOrEqual" => BinaryOp::LessEqual,
        "GreaterOrEqual" => BinaryOp::GreaterEqual,
        other => return bad(format!("{other} is not a comparison")),
    };
    let (a, b) = (ctx.input(0)?, ctx.input(1)?);
    let on_device = matches!(a, OnnxValue::Tensor(_)) || matches!(b, OnnxValue::Tensor(_));
    if on_device && a.is_float() && b.is_float() {
        let (x, y) = (a.to_device(ctx.device)?, b.to_device(ctx.device)?);
        let mask = x.binary(kind, &y)?;
        let v = mask.to_f32_vec()?.iter().map(|&m| m != 0.0).collect();
        return Ok(HostTensor::new(mask.shape().to_vec(), HostData::Bool(v))?);
    }
    let (a, b) = (a.to_host()?, b.to_host()?);
    let (shape, v): (Vec<usize>, Vec<bool>) = if a.is_float() || b.is_float() {
        let (shape, ma, mb) = maps(op, &a, &b)?;
        let (x, y) = (a.to_f32(), b.to_f32());
        let v = ma
            .iter()
            .zip(&mb)
            .map(|(&i, &j)| holds(kind, x[i].partial_cmp(&y[j])))
            .collect();
        (shape, v)
    } else {
        let (shape, x, y) = broadcast_pair(op, &a, &b)?;
        let v = x
            .iter()
            .zip(&y)
            .map(|(p, q)| holds(kind, Some(p.cmp(q))))
            .collect();
        (shape, v)
    };
    Ok(HostTensor::new(shape, HostData::Bool(v))?)
}

/// Whether `kind` holds for the ordering `o` (`None`: a NaN, never holds).
fn holds(kind: BinaryOp, o: Option<Ordering>) -> bool {
    use Ordering::*;
    match (kind, o) {
        (_, None) => false,
        (BinaryOp::Equal, Some(o)) => o == Equal,
        (BinaryOp::Less, Some(o)) => o == Less,
        (BinaryOp::Greater, Some(o)) => o == Greater,
        (BinaryOp::LessEqual, Some(o)) => o != Greater,
        (BinaryOp::GreaterEqual, Some(o)) => o != Less,
        _ => false,
    }
}

/// The broadcast shape of `a` and `b` and each one's index map onto it.
fn maps(
    op: &str,
    a: &HostTensor,
    b: &HostTensor,
) -> ExecResult<(Vec<usize>, Vec<usize>, Vec<usize>)> {
    let shape = broadcast_shapes(op_name(op), &a.shape, &b.shape)?;
    let ma = broadcast_map(&a.shape, &shape);
    let mb = broadcast_map(&b.shape, &shape);
    Ok((shape, ma, mb))
}

/// `a` and `b` as integers broadcast to their common shape.
pub(crate) fn broadcast_pair(
    op: &str,
    a: &HostTensor,
    b: &HostTensor,
) -> ExecResult<(Vec<usize>, Vec<i64>, Vec<i64>)> {
    let (shape, ma, mb) = maps(op, a, b)?;
    let (x, y) = (a.to_i64(), b.to_i64());
    Ok((
        shape,
        ma.iter().map(|&i| x[i]).collect(),
        mb.iter().map(|&j| y[j]).collect(),
    ))
}

/// A static name for shape errors.
fn op_name(op: &str) -> &'static str {
    match op {
        "Equal" => "Equal",
        "Less" => "Less",
        "Greater" => "Greater",
        "LessOrEqual" => "LessOrEqual",
        "GreaterOrEqual" => "GreaterOrEqual",
        "And" => "And",
        "Or" => "Or",
        "Xor" => "Xor",
        _ => "onnx compare",
    }
}
