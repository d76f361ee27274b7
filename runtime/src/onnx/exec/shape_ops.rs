//! Ops that change only a value's shape or make a value from attributes:
//! Reshape, Flatten, Squeeze, Unsqueeze, Shape, Size, Identity, Dropout,
//! Constant, ConstantOfShape, Range, Cast.

use super::{axis, bad, Ctx, ExecResult};
use crate::onnx::attrs::Attr;
use crate::onnx::limits::{checked_dims, MAX_ELEMENTS};
use crate::onnx::proto::tensor_proto::DataType;
use crate::onnx::value::{HostData, HostTensor, OnnxValue};

pub(crate) fn run(ctx: &Ctx<'_>) -> ExecResult<Vec<OnnxValue>> {
    let a = &ctx.node.attrs;
    let out = match ctx.node.op.as_str() {
        "Identity" => ctx.input(0)?.clone(),
        "Dropout" => {
            // Inference: the input unchanged, and an all-true mask if asked for.
            let x = ctx.input(0)?.clone();
            let training = match ctx.opt(2) {
                Some(t) => t.to_host()?.to_i64().first().is_some_and(|&v| v != 0),
                None => false,
            };
            let ratio = match ctx.opt(1) {
                Some(r) => r.to_host()?.to_f32().first().copied().unwrap_or(0.5),
                None => a.float("ratio", 0.5),
            };
            // Training with ratio 0 drops nothing; any other ratio draws a random mask.
            if training && ratio != 0.0 {
                return bad("training mode with a ratio above 0 (random masks) is not supported");
            }
            if ctx.node.outputs.len() > 1 && !ctx.node.outputs[1].is_empty() {
                let n = x.shape().iter().product();
                let mask = HostTensor::new(x.shape().to_vec(), HostData::Bool(vec![true; n]))?;
                return Ok(vec![x, OnnxValue::Host(mask)]);
            }
            x
        }
        "Reshape" => {
            let x = ctx.input(0)?;
            let spec = ctx.ints(1)?;
            let shape = reshape_target(x.shape(), &spec, a.int("allowzero", 0) != 0)?;
            reshape(x, &shape)?
        }
        "Flatten" => {
            let x = ctx.input(0)?;
            let r = x.shape().len();
            let raw = a.int("axis", 1);
            let ax = if raw < 0 {
                axis(raw, r)?
            } else {
                axis(raw, r + 1)?
            };
            let outer: usize = x.shape()[..ax].iter().product();
            let inner: usize = x.shape()[ax..].iter().product();
            reshape(x, &[outer, inner])?
        }
        "Squeeze" => {
            let x = ctx.input(0)?;
            let axes = axes_of(ctx, 1)?;
            let r = x.shape().len();
            let axes: Vec<usize> = match axes {
                Some(list) => list
                    .iter()
                    .map(|&v| axis(v, r))
                    .collect::<ExecResult<_>>()?,
                None => (0..r).filter(|&d| x.shape()[d] == 1).collect(),
            };
            if let Some(&d) = axes.iter().find(|&&d| x.shape()[d] != 1) {
                return bad(format!("cannot squeeze dim {d} of size {}", x.shape()[d]));
            }
            let shape: Vec<usize> = (0..r)
                .filter(|d| !axes.contains(d))
                .map(|d| x.shape()[d])
                .collect();
            reshape(x, &shape)?
        }
        "Unsqueeze" => {
            let x = ctx.input(0)?;
            let Some(axes) = axes_of(ctx, 1)? else {
                return bad("no axes");
            };
            let r = x.shape().len() + axes.len();
            let mut axes: Vec<usize> = axes
                .iter()
                .map(|&v| axis(v, r))
                .collect::<ExecResult<_>>()?;
            axes.sort_unstable();
            if axes.windows(2).any(|w| w[0] == w[1]) {
                return bad("repeated axis");
            }
            let mut shape = x.shape().to_vec();
            for &d in &axes {
                shape.insert(d, 1);
            }
            reshape(x, &shape)?
        }
        "Shape" => {
            let dims: Vec<i64> = ctx.input(0)?.shape().iter().map(|&d| d as i64).collect();
            let r = dims.len() as i64;
            let clamp = |v: i64| (if v < 0 { v + r } else { v }).clamp(0, r) as usize;
            let start = clamp(a.int("start", 0));
            let end = clamp(a.int("end", r)).max(start);
            OnnxValue::Host(HostTensor::ints(dims[start..end].to_vec()))
        }
        "Size" => {
            let n = ctx.input(0)?.shape().iter().product::<usize>() as i64;
            OnnxValue::Host(HostTensor::new(vec![], HostData::I64(vec![n]))?)
        }
        "Constant" => constant(ctx)?,
        "ConstantOfShape" => {
            let shape = checked_dims("ConstantOfShape", &ctx.ints(0)?)?;
            let n: usize = shape.iter().product();
            let data = match a.get("value") {
                Some(Attr::Tensor(t)) if t.data.len() == 1 => match &t.data {
                    HostData::F32(v) => HostData::F32(vec![v[0]; n]),
                    HostData::I64(v) => HostData::I64(vec![v[0]; n]),
                    HostData::Bool(v) => HostData::Bool(vec![v[0]; n]),
                },
                None => HostData::F32(vec![0.0; n]),
                _ => return bad("value must hold one element"),
            };
            OnnxValue::Host(HostTensor::new(shape, data)?)
        }
        "Range" => range(ctx)?,
        "Cast" => cast(ctx)?,
        other => return bad(format!("{other} is not a shape op")),
    };
    Ok(vec![out])
}

/// Axes from the attribute (older opsets) or from input `i` (newer ones).
pub(crate) fn axes_of(ctx: &Ctx<'_>, i: usize) -> ExecResult<Option<Vec<i64>>> {
    if let Some(v) = ctx.node.attrs.ints("axes") {
        return Ok(Some(v.to_vec()));
    }
    match ctx.opt(i) {
        Some(v) => Ok(Some(v.to_host()?.to_i64())),
        None => Ok(None),
    }
}

/// The same elements under a new shape.
pub(crate) fn reshape(x: &OnnxValue, shape: &[usize]) -> ExecResult<OnnxValue> {
    Ok(match x {
        OnnxValue::Host(h) => OnnxValue::Host(HostTensor::new(shape.to_vec(), h.data.clone())?),
        OnnxValue::Tensor(t) => OnnxValue::Tensor(t.contiguous()?.reshape(shape)?),
    })
}

/// Reshape's target: `0` copies the input's dim (unless `allowzero`), one `-1` is inferred.
fn reshape_target(input: &[usize], spec: &[i64], allowzero: bool) -> ExecResult<Vec<usize>> {
    let total: usize = input.iter().product();
    let mut shape = Vec::with_capacity(spec.len());
    let mut infer = None;
    for (i, &s) in spec.iter().enumerate() {
        match s {
            -1 if infer.is_none() => {
                infer = Some(i);
                shape.push(1);
            }
            0 if !allowzero => match input.get(i) {
                Some(&d) => shape.push(d),
                None => return bad(format!("0 at {i} copies a dim the input lacks")),
            },
            s if s >= 0 => shape.push(s as usize),
            _ => return bad(format!("bad target shape {spec:?}")),
        }
    }
    let known = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| crate::onnx::limits::within_max_elements(n));
    let Some(known) = known else {
        return bad(format!("target shape {spec:?} is too large"));
    };
    if let Some(i) = infer {
        if known == 0 || !total.is_multiple_of(known) {
            return bad(format!("cannot infer -1 in {spec:?} for {total} elements"));
        }
        shape[i] = total / known;
    } else if known != total {
        return bad(format!("{spec:?} does not hold {total} elements"));
    }
    Ok(shape)
}

fn constant(ctx: &Ctx<'_>) -> ExecResult<OnnxValue> {
    let a = &ctx.node.attrs;
    let t = match (a.get("value"), a.get("value_float"), a.get("value_int")) {
        (Some(Attr::Tensor(t)), _, _) => t.clone(),
        (_, Some(Attr::Float(f)), _) => HostTensor::new(vec![], HostData::F32(vec![*f]))?,
        (_, _, Some(Attr::Int(i))) => HostTensor::new(vec![], HostData::I64(vec![*i]))?,
        _ => match (a.get("value_floats"), a.get("value_ints")) {
            (Some(Attr::Floats(f)), _) => HostTensor {
                shape: vec![f.len()],
                data: HostData::F32(f.clone()),
            },
            (_, Some(Attr::Ints(i))) => HostTensor::ints(i.clone()),
            _ => return bad("no supported value attribute"),
        },
    };
    Ok(OnnxValue::Host(t))
}

fn range(ctx: &Ctx<'_>) -> ExecResult<OnnxValue> {
    let (s, l, d) = (ctx.host(0)?, ctx.host(1)?, ctx.host(2)?);
    if s.is_float() {
        let (s, l, d) = (
            s.to_f32()[0] as f64,
            l.to_f32()[0] as f64,
            d.to_f32()[0] as f64,
        );
        let n = ((l - s) / d).ceil().max(0.0);
        if n.is_nan() || n > MAX_ELEMENTS as f64 {
            return bad("range too long");
        }
        let v: Vec<f32> = (0..n as usize).map(|i| (s + i as f64 * d) as f32).collect();
        return Ok(OnnxValue::Host(HostTensor::new(
            vec![v.len()],
            HostData::F32(v),
        )?));
    }
    let (s, l, d) = (s.to_i64()[0], l.to_i64()[0], d.to_i64()[0]);
    if d == 0 {
        return bad("delta 0");
    }
    let n = ((l as i128 - s as i128) as f64 / d as f64).ceil().max(0.0);
    if n > MAX_ELEMENTS as f64 {
        return bad("range too long");
    }
    Ok(OnnxValue::Host(HostTensor::ints(
        (0..n as i64).map(|i| s + i * d).collect(),
    )))
}

fn cast(ctx: &Ctx<'_>) -> ExecResult<OnnxValue> {
    let x = ctx.input(0)?;
    let to = DataType::try_from(ctx.node.attrs.int("to", 0) as i32).unwrap_or(DataType::Undefined);
    use DataType as D;
    Ok(match to {
        D::Float | D::Double | D::Float16 | D::Bfloat16 => match x {
            OnnxValue::Tensor(t) => OnnxValue::Tensor(t.cast(tessera_kernels::DType::F32)?),
            OnnxValue::Host(h) => OnnxValue::Host(HostTensor::new(
                h.shape.clone(),
                HostData::F32(round_to(to, h.to_f32())),
            )?),
        },
        D::Bool => {
            let h = x.to_host()?;
            let v = match &h.data {
                HostData::F32(v) => v.iter().map(|&f| f != 0.0).collect(),
                other => HostTensor::new(h.shape.clone(), other.clone())?
                    .to_i64()
                    .iter()
                    .map(|&i| i != 0)
                    .collect(),
            };
            OnnxValue::Host(HostTensor::new(h.shape, HostData::Bool(v))?)
        }
        D::Int8 | D::Int16 | D::Int32 | D::Int64 | D::Uint8 | D::Uint16 | D::Uint32 | D::Uint64 => {
            let h = x.to_host()?;
            let v = h.to_i64().into_iter().map(|i| wrap_int(to, i)).collect();
            OnnxValue::Host(HostTensor::new(h.shape, HostData::I64(v))?)
        }
        _ => {
            return bad(format!(
                "cast to type {} is not supported",
                ctx.node.attrs.int("to", 0)
            ))
        }
    })
}

/// Rounds f32 values through a narrower float type.
fn round_to(to: DataType, v: Vec<f32>) -> Vec<f32> {
    match to {
        DataType::Float16 => v
            .into_iter()
            .map(|f| half::f16::from_f32(f).to_f32())
            .collect(),
        DataType::Bfloat16 => v
            .into_iter()
            .map(|f| half::bf16::from_f32(f).to_f32())
            .collect(),
        _ => v,
    }
}

fn wrap_int(to: DataType, i: i64) -> i64 {
    use DataType as D;
    match to {
        D::Int8 => i as i8 as i64,
        D::Int16 => i as i16 as i64,
        D::Int32 => i as i32 as i64,
        D::Uint8 => i as u8 as i64,
        D::Uint16 => i as u16 as i64,
        D::Uint32 => i as u32 as i64,
        _ => i,
    }
}
