//! Weight matrices of a decoder: dense tensors or GGML-quantized blocks that stay
//! quantized on the GPU, behind one `forward` / `gather_rows` interface.

use crate::error::{Error, Result, ShapeError};
use crate::ops::concat;
use crate::quant::{row_bytes, QuantFormat, QuantMatrix};
use crate::tensor::Tensor;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::DType;

/// An `[out, in]` matrix as stored on the device.
#[derive(Clone, Debug)]
pub enum WeightMatrix {
    /// f32 (or f16) tensor, `[out, in]` as in PyTorch.
    Dense(Tensor),
    /// GGML blocks (any [`QuantFormat`]), dequantized inside the matmul kernels.
    Quant(Arc<QuantMatrix>),
    /// Consecutive row ranges, each small enough for one storage binding (a
    /// large vocabulary's table on an adapter with a 128 MiB binding limit).
    Rows(Vec<WeightMatrix>),
}

/// Rows per part so that a part of `row_bytes`-byte rows fits one binding.
fn rows_per_part(device: &Arc<dyn Device>, row_bytes: usize) -> usize {
    let limit = device.adapter().limits.max_storage_buffer_binding_size;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    (limit / row_bytes.max(1)).max(1)
}

impl WeightMatrix {
    /// An f32 `[rows, cols]` matrix from row-major `values`, split into row
    /// ranges when it exceeds the device's storage-binding limit.
    pub fn dense(
        device: &Arc<dyn Device>,
        values: &[f32],
        rows: usize,
        cols: usize,
    ) -> Result<WeightMatrix> {
        let per_part = rows_per_part(device, cols * 4);
        if rows <= per_part {
            let t = Tensor::from_f32(device, values, &[rows, cols], DType::F32)?;
            return Ok(WeightMatrix::Dense(t));
        }
        let parts = values
            .chunks(per_part * cols)
            .map(|chunk| {
                let t = Tensor::from_f32(device, chunk, &[chunk.len() / cols, cols], DType::F32)?;
                Ok(WeightMatrix::Dense(t))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(WeightMatrix::Rows(parts))
    }

    /// A GGML-quantized `[rows, cols]` matrix from the file's blocks, split into
    /// row ranges when it exceeds the device's storage-binding limit.
    pub fn quantized(
        device: &Arc<dyn Device>,
        format: QuantFormat,
        rows: usize,
        cols: usize,
        bytes: &[u8],
    ) -> Result<WeightMatrix> {
        let row_bytes = row_bytes(format, cols)?;
        let per_part = rows_per_part(device, row_bytes);
        if rows <= per_part {
            let q = QuantMatrix::from_ggml_bytes(device, format, rows, cols, bytes)?;
            return Ok(WeightMatrix::Quant(Arc::new(q)));
        }
        if bytes.len() != rows * row_bytes {
            return Err(ShapeError::new(
                "weights",
                format!("{} bytes for {rows} rows of {row_bytes}", bytes.len()),
                &[&[rows, cols]],
            )
            .into());
        }
        let parts = bytes
            .chunks(per_part * row_bytes)
            .map(|chunk| {
                let n = chunk.len() / row_bytes;
                let q = QuantMatrix::from_ggml_bytes(device, format, n, cols, chunk)?;
                Ok(WeightMatrix::Quant(Arc::new(q)))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(WeightMatrix::Rows(parts))
    }

    /// Rows (output features).
    pub fn rows(&self) -> usize {
        match self {
            WeightMatrix::Dense(t) => t.shape()[0],
            WeightMatrix::Quant(q) => q.rows(),
            WeightMatrix::Rows(parts) => parts.iter().map(WeightMatrix::rows).sum(),
        }
    }

    /// Columns (input features).
    pub fn cols(&self) -> usize {
        match self {
            WeightMatrix::Dense(t) => t.shape()[1],
            WeightMatrix::Quant(q) => q.cols(),
            WeightMatrix::Rows(parts) => parts.first().map_or(0, WeightMatrix::cols),
        }
    }

    /// Bytes this matrix takes on the device.
    pub fn device_bytes(&self) -> usize {
        match self {
            WeightMatrix::Dense(t) => t.numel() * t.dtype().size_in_bytes(),
            WeightMatrix::Quant(q) => q.gpu_bytes(),
            WeightMatrix::Rows(parts) => parts.iter().map(WeightMatrix::device_bytes).sum(),
        }
    }

    /// `x [..., in]` times the transpose: `[..., out]`.
    pub fn matmul_t(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            WeightMatrix::Dense(w) => x.matmul(&w.transpose(0, 1)?),
            WeightMatrix::Quant(q) => x.matmul_quant_t(q),
            WeightMatrix::Rows(parts) => {
                let outs = parts
                    .iter()
                    .map(|p| p.matmul_t(x))
                    .collect::<Result<Vec<_>>>()?;
                let refs: Vec<&Tensor> = outs.iter().collect();
                concat(&refs, x.rank().max(1) - 1)
            }
        }
    }

    /// `x [..., in]` times the transpose plus `residual` (`[..., out]`): one
    /// dispatch for a quantized matrix and a few rows, else a matmul and an add.
    pub fn matmul_t_add(&self, x: &Tensor, residual: &Tensor) -> Result<Tensor> {
        match self {
            WeightMatrix::Quant(q) => x.matmul_quant_t_add(q, residual),
            _ => self.matmul_t(x)?.add(residual),
        }
    }

    /// Rows picked by token `ids` (an embedding lookup) as f32 `[ids, cols]`
    /// on `device`. Ids outside the matrix are an error.
    pub fn embed(&self, device: &Arc<dyn Device>, ids: &[u32]) -> Result<Tensor> {
        match self {
            WeightMatrix::Dense(t) => {
                t.gather_rows(&Tensor::from_slice(device, ids, &[ids.len()])?)
            }
            WeightMatrix::Quant(q) => {
                q.gather_rows(&Tensor::from_slice(device, ids, &[ids.len()])?)
            }
            WeightMatrix::Rows(parts) => {
                // Gather each part's ids in one dispatch, then put the rows
                // back in token order with one gather over the stacked results.
                let mut pieces = Vec::new();
                let mut order = vec![0u32; ids.len()];
                let (mut first_row, mut stacked) = (0usize, 0usize);
                for part in parts {
                    let rows = part.rows();
                    let mut local = Vec::new();
                    for (position, &id) in ids.iter().enumerate() {
                        let id = id as usize;
                        if id >= first_row && id < first_row + rows {
                            order[position] = (stacked + local.len()) as u32;
                            local.push((id - first_row) as u32);
                        }
                    }
                    if !local.is_empty() {
                        stacked += local.len();
                        pieces.push(part.embed(device, &local)?);
                    }
                    first_row += rows;
                }
                if let Some((position, &id)) = ids
                    .iter()
                    .enumerate()
                    .find(|(_, &id)| id as usize >= first_row)
                {
                    return Err(Error::IndexOutOfRange {
                        op: "embed",
                        index: id as i64,
                        position,
                        bound: first_row,
                    });
                }
                let refs: Vec<&Tensor> = pieces.iter().collect();
                let all = concat(&refs, 0)?;
                all.gather_rows(&Tensor::from_slice(device, &order, &[ids.len()])?)
            }
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

    /// Apply to `x [..., in]` and add `residual` (`[..., out]`): a residual
    /// connection, fused into the matmul where [`WeightMatrix::matmul_t_add`] can.
    pub fn forward_add(&self, x: &Tensor, residual: &Tensor) -> Result<Tensor> {
        match &self.bias {
            Some(_) => self.forward(x)?.add(residual),
            None => self.weight.matmul_t_add(x, residual),
        }
    }
}
