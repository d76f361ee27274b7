//! [`Weight`]: an `[out, in]` matrix in any storage (a dense f32 or f16
//! tensor, GGML blocks (f16 and bf16 ones included) that stay in their format
//! on the device, or row blocks of
//! either when one storage binding cannot hold the whole), the right operand
//! of [`Tensor::matmul_t`] and the table of an embedding lookup.

use crate::error::{Result, ShapeError};
use crate::ops::gather_blocks::gather_by_blocks;
use crate::quant::{row_bytes, QuantFormat, QuantMatrix};
use crate::tensor::Tensor;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::DType;

/// An `[out, in]` matrix as stored on the device: the weight of a
/// [`crate::nn::Linear`] layer, multiplied by [`Tensor::matmul_t`]. Cheap to
/// clone (tensor handles).
#[derive(Clone, Debug)]
pub enum Weight {
    /// f32 (or f16) tensor, `[out, in]` as in PyTorch; multiplied through its
    /// transposed view, so its dtype must be the input's.
    Dense(Tensor),
    /// GGML blocks (any [`QuantFormat`], F16 and BF16 included), dequantized inside the
    /// matmul kernels; any float input.
    Quant(QuantMatrix),
    /// Consecutive row ranges, each small enough for one storage binding (a
    /// large vocabulary's table on an adapter with a 128 MiB binding limit).
    Rows(Vec<Weight>),
}

/// Rows per part so that a part of `row_bytes`-byte rows fits one binding.
fn rows_per_part(device: &Arc<dyn Device>, row_bytes: usize) -> usize {
    let limit = device.adapter().limits.max_storage_buffer_binding_size;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    (limit / row_bytes.max(1)).max(1)
}

impl Weight {
    /// An f32 `[rows, cols]` matrix from row-major `values`, split into row
    /// ranges when it exceeds the device's storage-binding limit.
    pub fn dense(
        device: &Arc<dyn Device>,
        values: &[f32],
        rows: usize,
        cols: usize,
    ) -> Result<Weight> {
        let per_part = rows_per_part(device, cols.saturating_mul(4));
        if rows <= per_part || cols == 0 {
            let t = Tensor::from_f32(device, values, &[rows, cols], DType::F32)?;
            return Ok(Weight::Dense(t));
        }
        let parts = values
            .chunks(per_part * cols)
            .map(|chunk| {
                let t = Tensor::from_f32(device, chunk, &[chunk.len() / cols, cols], DType::F32)?;
                Ok(Weight::Dense(t))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Weight::Rows(parts))
    }

    /// A GGML-quantized `[rows, cols]` matrix from the file's blocks, split into
    /// row ranges when it exceeds the device's storage-binding limit.
    pub fn quantized(
        device: &Arc<dyn Device>,
        format: QuantFormat,
        rows: usize,
        cols: usize,
        bytes: &[u8],
    ) -> Result<Weight> {
        let row_bytes = row_bytes(format, cols)?;
        let per_part = rows_per_part(device, row_bytes);
        if rows <= per_part {
            let q = QuantMatrix::from_ggml_bytes(device, format, rows, cols, bytes)?;
            return Ok(Weight::Quant(q));
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
                Ok(Weight::Quant(q))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Weight::Rows(parts))
    }

    /// Rows (output features).
    pub fn rows(&self) -> usize {
        match self {
            Weight::Dense(t) => t.shape().first().copied().unwrap_or(0),
            Weight::Quant(q) => q.rows(),
            Weight::Rows(parts) => parts.iter().map(Weight::rows).sum(),
        }
    }

    /// Columns (input features).
    pub fn cols(&self) -> usize {
        match self {
            Weight::Dense(t) => t.shape().get(1).copied().unwrap_or(0),
            Weight::Quant(q) => q.cols(),
            Weight::Rows(parts) => parts.first().map_or(0, Weight::cols),
        }
    }

    /// Bytes this matrix takes on the device.
    pub fn device_bytes(&self) -> usize {
        match self {
            Weight::Dense(t) => t.numel() * t.dtype().size_in_bytes(),
            Weight::Quant(q) => q.gpu_bytes(),
            Weight::Rows(parts) => parts.iter().map(Weight::device_bytes).sum(),
        }
    }

    /// Rows picked by token `ids` (an embedding lookup) as f32 `[ids, cols]`
    /// on `device`. Ids outside the matrix are an error.
    pub fn embed(&self, device: &Arc<dyn Device>, ids: &[u32]) -> Result<Tensor> {
        match self {
            Weight::Dense(t) => t.gather_rows_host(ids, &[ids.len()]),
            Weight::Quant(q) => q.gather_rows(&Tensor::from_slice(device, ids, &[ids.len()])?),
            Weight::Rows(parts) => {
                let block_rows: Vec<usize> = parts.iter().map(Weight::rows).collect();
                gather_by_blocks("embed", ids, &block_rows, |block, local| {
                    parts[block].embed(device, local)
                })
            }
        }
    }
}

impl From<Tensor> for Weight {
    /// A dense `[out, in]` weight.
    fn from(t: Tensor) -> Weight {
        Weight::Dense(t)
    }
}

impl From<QuantMatrix> for Weight {
    /// A weight that stays quantized.
    fn from(q: QuantMatrix) -> Weight {
        Weight::Quant(q)
    }
}
