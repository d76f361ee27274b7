//! Layer norm and RMS norm along the last axis.

use super::elementwise::require_float;
use super::launch::{launch, same_device, to_u32};
use crate::error::{Error, Result, ShapeError};
use crate::tensor::Tensor;
use tessera_kernels::{row_wg_for, rowwise_workgroups, NormKind, NormParams, NormSpec};

impl Tensor {
    /// `(x - mean) / sqrt(var + eps) * weight + bias` along the last axis.
    pub fn layer_norm(
        &self,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f32,
    ) -> Result<Tensor> {
        self.norm(NormKind::Layer, weight, bias, eps)
    }

    /// `x / sqrt(mean(x^2) + eps) * weight` along the last axis.
    pub fn rms_norm(&self, weight: Option<&Tensor>, eps: f32) -> Result<Tensor> {
        self.norm(NormKind::Rms, weight, None, eps)
    }

    fn norm(
        &self,
        kind: NormKind,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f32,
    ) -> Result<Tensor> {
        let op = if kind == NormKind::Layer {
            "layer_norm"
        } else {
            "rms_norm"
        };
        require_float(op, self)?;
        if self.rank() == 0 {
            return Err(
                ShapeError::new(op, "needs at least one dimension", &[self.shape()]).into(),
            );
        }
        let n = *self.shape().last().expect("rank >= 1");
        let mut params_of: Vec<Tensor> = Vec::new();
        for t in [weight, bias].into_iter().flatten() {
            same_device(op, &[self, t])?;
            if t.shape() != [n] {
                return Err(ShapeError::new(
                    op,
                    format!("weight and bias must be [{n}]"),
                    &[self.shape(), t.shape()],
                )
                .into());
            }
            if t.dtype() != self.dtype() {
                return Err(Error::DType {
                    op,
                    expected: self.dtype().to_string(),
                    found: t.dtype(),
                });
            }
            params_of.push(t.contiguous()?);
        }
        let x = self.contiguous()?;
        let rows = x.numel().checked_div(n).unwrap_or(0);
        let out = Tensor::uninit(x.device(), x.dtype(), x.shape(), op)?;
        if rows == 0 {
            return Ok(out);
        }
        let w = weight.map(|_| &params_of[0]);
        let b = bias.map(|_| params_of.last().expect("bias uploaded"));
        let params = NormParams {
            rows: to_u32(op, rows)?,
            n: to_u32(op, n)?,
            x_off: to_u32(op, x.offset())?,
            y_off: 0,
            w_off: to_u32(op, w.map_or(0, |t| t.offset()))?,
            b_off: to_u32(op, b.map_or(0, |t| t.offset()))?,
            eps,
            pad0: 0,
        };
        let spec = NormSpec {
            kind,
            dtype: x.dtype(),
            has_weight: w.is_some(),
            has_bias: b.is_some(),
            wg: row_wg_for(n),
        };
        let source = spec
            .render()
            .ok_or_else(|| ShapeError::new(op, "RMS norm takes no bias", &[self.shape()]))?;
        let mut buffers = vec![x.buffer()];
        buffers.extend(w.map(|t| t.buffer()));
        buffers.extend(b.map(|t| t.buffer()));
        buffers.push(out.buffer());
        launch(
            op,
            x.device(),
            &source,
            &buffers,
            &params,
            rowwise_workgroups(rows as u64),
        )?;
        Ok(out)
    }
}
