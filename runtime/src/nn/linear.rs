//! Fully connected layer, `y = x Wᵀ + b`, with W stored `[out, in]` as in
//! PyTorch, in any storage ([`Weight`]: f32, f16, bf16, GGUF blocks, row blocks).

use crate::error::{Result, ShapeError};
use crate::ops::Weight;
use crate::tensor::Tensor;

/// A linear layer. A dense weight is used through a transposed view (no
/// copy); a quantized one stays in its blocks (see [`Tensor::matmul_t`]).
#[derive(Clone, Debug)]
pub struct Linear {
    weight: Weight,
    bias: Option<Tensor>,
}

impl Linear {
    /// A layer from an `[out, in]` weight (a [`Tensor`], a
    /// [`QuantMatrix`](crate::quant::QuantMatrix) or any [`Weight`]) and an
    /// optional `[out]` bias. Errors: a dense weight (or part) that is not a
    /// matrix, row blocks of different widths or none, a bias of another
    /// length (shape errors).
    pub fn new(weight: impl Into<Weight>, bias: Option<Tensor>) -> Result<Linear> {
        let weight = weight.into();
        check_weight(&weight, weight.cols())?;
        if let Some(b) = &bias {
            if b.shape() != [weight.rows()] {
                let msg = format!("bias must be [{}]", weight.rows());
                return Err(ShapeError::new("linear", msg, &[b.shape()]).into());
            }
        }
        Ok(Linear { weight, bias })
    }

    /// Input features.
    pub fn in_features(&self) -> usize {
        self.weight.cols()
    }

    /// Output features.
    pub fn out_features(&self) -> usize {
        self.weight.rows()
    }

    /// The `[out, in]` weight.
    pub fn weight(&self) -> &Weight {
        &self.weight
    }

    /// The `[out]` bias, if any.
    pub fn bias(&self) -> Option<&Tensor> {
        self.bias.as_ref()
    }

    /// Bytes of the weight and bias on the device.
    pub fn device_bytes(&self) -> usize {
        let bias = self.bias.as_ref();
        self.weight.device_bytes() + bias.map_or(0, |b| b.numel() * b.dtype().size_in_bytes())
    }

    /// Apply to `x` of shape `[..., in]`, giving `[..., out]`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = x.matmul_t(&self.weight)?;
        match &self.bias {
            Some(b) => y.add(b),
            None => Ok(y),
        }
    }

    /// Apply to `x [..., in]` and add `residual` (`[..., out]`): a residual
    /// connection, fused into the product where [`Tensor::matmul_t_add`] can
    /// (a quantized weight, no bias, a few rows).
    pub fn forward_add(&self, x: &Tensor, residual: &Tensor) -> Result<Tensor> {
        match &self.bias {
            Some(_) => self.forward(x)?.add(residual),
            None => x.matmul_t_add(&self.weight, residual),
        }
    }
}

/// Check that `weight` is a matrix of `cols` columns: dense parts of rank 2,
/// row blocks that are not empty.
fn check_weight(weight: &Weight, cols: usize) -> Result<()> {
    let bad = |msg: &str, shape: &[usize]| Err(ShapeError::new("linear", msg, &[shape]).into());
    match weight {
        Weight::Dense(t) if t.rank() != 2 => bad("weight must be [out, in]", t.shape()),
        Weight::Rows(parts) if parts.is_empty() => bad("row blocks: none given", &[]),
        Weight::Rows(parts) => parts.iter().try_for_each(|p| check_weight(p, cols)),
        w if w.cols() != cols => bad(
            &format!("row blocks must all be {cols} wide"),
            &[w.rows(), w.cols()],
        ),
        _ => Ok(()),
    }
}
