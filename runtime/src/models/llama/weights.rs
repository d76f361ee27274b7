//! Weight matrices of a decoder: dense tensors or GGML-quantized blocks that stay
//! quantized on the GPU, behind one `forward` / `gather_rows` interface.

use crate::error::{Result, ShapeError};
use crate::quant::QuantMatrix;
use crate::tensor::Tensor;
use std::sync::Arc;

/// An `[out, in]` matrix as stored on the device.
#[derive(Clone, Debug)]
pub enum WeightMatrix {
    /// f32 (or f16) tensor, `[out, in]` as in PyTorch.
    Dense(Tensor),
    /// GGML Q8_0 / Q4_0 blocks, dequantized inside the matmul kernels.
    Quant(Arc<QuantMatrix>),
}

impl WeightMatrix {
    /// Rows (output features).
    pub fn rows(&self) -> usize {
        match self {
            WeightMatrix::Dense(t) => t.shape()[0],
            WeightMatrix::Quant(q) => q.rows(),
        }
    }

    /// Columns (input features).
    pub fn cols(&self) -> usize {
        match self {
            WeightMatrix::Dense(t) => t.shape()[1],
            WeightMatrix::Quant(q) => q.cols(),
        }
    }

    /// Bytes this matrix takes on the device.
    pub fn device_bytes(&self) -> usize {
        match self {
            WeightMatrix::Dense(t) => t.numel() * t.dtype().size_in_bytes(),
            WeightMatrix::Quant(q) => q.gpu_bytes(),
        }
    }

    /// `x [..., in]` times the transpose: `[..., out]`.
    pub fn matmul_t(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            WeightMatrix::Dense(w) => x.matmul(&w.transpose(0, 1)?),
            WeightMatrix::Quant(q) => x.matmul_quant_t(q),
        }
    }

    /// Rows picked by token ids (an embedding lookup), as f32.
    pub fn gather_rows(&self, ids: &Tensor) -> Result<Tensor> {
        match self {
            WeightMatrix::Dense(t) => t.gather_rows(ids),
            WeightMatrix::Quant(q) => q.gather_rows(ids),
        }
    }
}

/// A linear projection `y = x Wᵀ (+ b)`.
#[derive(Clone, Debug)]
pub struct Projection {
    /// The `[out, in]` weight.
    pub weight: WeightMatrix,
    /// Optional `[out]` bias.
    pub bias: Option<Tensor>,
}

impl Projection {
    /// A projection, checking the bias against the weight.
    pub fn new(weight: WeightMatrix, bias: Option<Tensor>) -> Result<Projection> {
        if let Some(b) = &bias {
            if b.shape() != [weight.rows()] {
                return Err(ShapeError::new(
                    "projection",
                    format!("bias must be [{}]", weight.rows()),
                    &[b.shape()],
                )
                .into());
            }
        }
        Ok(Projection { weight, bias })
    }

    /// Apply to `x [..., in]`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = self.weight.matmul_t(x)?;
        match &self.bias {
            Some(b) => y.add(b),
            None => Ok(y),
        }
    }
}
