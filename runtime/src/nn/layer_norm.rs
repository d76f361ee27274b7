//! Layer normalisation over the last axis.

use crate::error::{Result, ShapeError};
use crate::tensor::Tensor;

/// `LayerNorm(x) = (x - mean) / sqrt(var + eps) * weight + bias` over the last axis.
#[derive(Clone, Debug)]
pub struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f32,
}

impl LayerNorm {
    /// A layer norm from `[n]` weight and bias.
    pub fn new(weight: Tensor, bias: Tensor, eps: f32) -> Result<LayerNorm> {
        if weight.rank() != 1 || weight.shape() != bias.shape() {
            return Err(ShapeError::new(
                "layer_norm",
                "weight and bias must be equal [n]",
                &[weight.shape(), bias.shape()],
            )
            .into());
        }
        Ok(LayerNorm { weight, bias, eps })
    }

    /// Normalise `x` of shape `[..., n]`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.layer_norm(Some(&self.weight), Some(&self.bias), self.eps)
    }
}
