//! Activations built from the op layer's elementwise ops: Erf (its own
//! kernel), PRelu (slope broadcast), Softplus, Softsign, Elu, Selu, Celu,
//! ThresholdedRelu and Mish.

use super::{bad, Ctx, ExecResult};
use crate::onnx::value::OnnxValue;
use crate::tensor::Tensor;
use tessera_kernels::BinaryOp;

pub(crate) fn run(ctx: &Ctx<'_>) -> ExecResult<Vec<OnnxValue>> {
    let a = &ctx.node.attrs;
    let x = ctx.input(0)?;
    if !x.is_float() {
        return bad("integer input");
    }
    let t = x.to_device(ctx.device)?;
    let y = match ctx.node.op.as_str() {
        "Erf" => t.erf()?,
        "PRelu" => {
            // relu(x) - slope * relu(-x): slope * x below 0, exactly.
            let slope = ctx.input(1)?.to_device(ctx.device)?;
            t.relu()?.sub(&slope.mul(&t.neg()?.relu()?)?)?
        }
        "Softplus" => softplus(&t)?,
        "Softsign" => t.div(&t.abs()?.affine(1.0, 1.0)?)?,
        "Elu" => elu(&t, a.float("alpha", 1.0), 1.0)?,
        "Selu" => elu(
            &t,
            a.float("alpha", 1.673_263_2),
            a.float("gamma", 1.050_701),
        )?,
        "Celu" => {
            // relu(x) + alpha * (exp(min(x, 0) / alpha) - 1).
            let alpha = a.float("alpha", 1.0);
            let neg = negative_part(&t)?.affine(1.0 / alpha, 0.0)?;
            t.relu()?.add(&neg.exp()?.affine(alpha, -alpha)?)?
        }
        "ThresholdedRelu" => {
            let alpha = Tensor::from_slice(ctx.device, &[a.float("alpha", 1.0)], &[1])?;
            t.mul(&t.binary(BinaryOp::Greater, &alpha)?)?
        }
        "Mish" => t.mul(&softplus(&t)?.tanh()?)?,
        other => return bad(format!("{other} is not an activation")),
    };
    Ok(vec![OnnxValue::Tensor(y)])
}

/// `min(x, 0)` as `-relu(-x)`.
fn negative_part(t: &Tensor) -> ExecResult<Tensor> {
    Ok(t.neg()?.relu()?.neg()?)
}

/// `log(1 + e^x)` as `relu(x) + log(1 + e^-|x|)`: no overflow for large x.
fn softplus(t: &Tensor) -> ExecResult<Tensor> {
    let tail = t.abs()?.neg()?.exp()?.affine(1.0, 1.0)?.log()?;
    Ok(t.relu()?.add(&tail)?)
}

/// `gamma * (relu(x) + alpha * (exp(min(x, 0)) - 1))`: Elu (gamma 1) and Selu.
fn elu(t: &Tensor, alpha: f32, gamma: f32) -> ExecResult<Tensor> {
    let neg = negative_part(t)?.exp()?.affine(alpha, -alpha)?;
    let y = t.relu()?.add(&neg)?;
    Ok(if gamma == 1.0 {
        y
    } else {
        y.affine(gamma, 0.0)?
    })
}
