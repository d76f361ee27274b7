//! Fully connected layer, `y = x W^T + b`, with W stored `[out, in]` as in PyTorch.

use crate::error::{Result, ShapeError};
use crate::tensor::Tensor;

/// A linear layer. The weight is used through a transposed view: no copy.
#[derive(Clone, Debug)]
pub struct Linear {
    weight: Tensor,
    bias: Option<Tensor>,
}

impl Linear {
    /// A layer from a `[out, in]` weight and an optional `[out]` bias.
    pub fn new(weight: Tensor, bias: Option<Tensor>) -> Result<Linear> {
        if weight.rank() != 2 {
            return Err(
                ShapeError::new("linear", "weight must be [out, in]", &[weight.shape()]).into(),
            );
        }
        if let Some(b) = &bias {
            if b.shape() != [weight.shape()[0]] {
                return Err(ShapeError::new(
                    "linear",
                    "bias must be [out]",
                    &[weight.shape(), b.shape()],
                )
                .into());
            }
        }
        Ok(Linear { weight, bias })
    }

    /// Input features.
    pub fn in_features(&self) -> usize {
        self.weight.shape()[1]
    }

    /// Output features.
    pub fn out_features(&self) -> usize {
        self.weight.shape()[0]
    }

    /// Apply to `x` of shape `[..., in]`, giving `[..., out]`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = x.matmul(&self.weight.transpose(0, 1)?)?;
        match &self.bias {
            Some(b) => y.add(b),
            None => Ok(y),
        }
    }
}
