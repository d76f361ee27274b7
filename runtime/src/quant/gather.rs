//! Embedding lookup from a quantized table, ids checked on the host first.

use super::matrix::QuantMatrix;
use crate::error::{Error, Result};
use crate::host_ops;
use crate::ops::launch::{launch, to_u32};
use crate::ops::{KernelCandidate, Needs, OpDeclaration};
use crate::tensor::Tensor;
use tessera_kernels::KernelSpec;
use tessera_kernels::{elementwise_workgroups, DType, QuantGatherParams, QuantGatherSpec};

/// The declaration of `quant_gather` (see [`OpDeclaration`]).
pub(crate) const QUANT_GATHER: OpDeclaration = OpDeclaration {
    name: "quant_gather",
    summary: "rows of a quantized table dequantized to f32 (GGUF embeddings)",
    api: "QuantMatrix::gather_rows, QuantMatrix::gather_rows_host, QuantMatrix::dequantize",
    reference: "quant::dequantize_rows",
    dtypes: &[DType::F32],
    tolerance: "EXACT",
    kernels: &[KernelCandidate {
        name: "general",
        spec: "QuantGatherSpec",
        needs: Needs::NOTHING,
        when: "any",
    }],
    tuned: false,
    conformance: crate::conformance::quant_gather,
};

const OP: &str = "quant_gather";

impl QuantMatrix {
    /// Rows picked by `ids` (u32 or i32, any shape), dequantized: an f32
    /// tensor of shape `[..ids.shape, cols]`. Every id is checked against the
    /// table on the host first (this reads the ids back), as
    /// [`Tensor::gather_rows`] does: an id out of range is
    /// [`Error::IndexOutOfRange`]; the kernel also writes 0 for any such id
    /// rather than read outside the table.
    pub fn gather_rows(&self, ids: &Tensor) -> Result<Tensor> {
        self.quants().same_device(OP, ids)?;
        let rows = self.rows();
        let values: Vec<i64> = match ids.dtype() {
            DType::U32 => ids.to_vec::<u32>()?.into_iter().map(i64::from).collect(),
            DType::I32 => ids.to_vec::<i32>()?.into_iter().map(i64::from).collect(),
            other => {
                return Err(Error::DType {
                    op: OP,
                    expected: "u32 or i32 ids".into(),
                    found: other,
                })
            }
        };
        if let Some(position) = values.iter().position(|&v| v < 0 || v >= rows as i64) {
            return Err(Error::IndexOutOfRange {
                op: OP,
                index: values[position],
                position,
                bound: rows,
            });
        }
        self.gather_checked_rows(ids)
    }

    /// [`QuantMatrix::gather_rows`] of ids held on the host, uploaded as a
    /// u32 tensor of `shape`: checked against the table on the host, with no
    /// read-back (the web's way). Errors as [`QuantMatrix::gather_rows`]; ids
    /// that do not fill `shape` are a shape error.
    pub fn gather_rows_host(&self, ids: &[u32], shape: &[usize]) -> Result<Tensor> {
        if shape.iter().product::<usize>() != ids.len() {
            return Err(crate::error::ShapeError::new(
                OP,
                format!("{} ids do not fill the ids' shape", ids.len()),
                &[shape],
            )
            .into());
        }
        let rows = self.rows();
        if let Some(position) = ids.iter().position(|&v| v as usize >= rows) {
            return Err(Error::IndexOutOfRange {
                op: OP,
                index: i64::from(ids[position]),
                position,
                bound: rows,
            });
        }
        self.gather_checked_rows(&Tensor::from_slice(self.device(), ids, shape)?)
    }

    /// The whole matrix dequantized on the device: an f32 `[rows, cols]`
    /// tensor. Errors: a size beyond the device's buffers (`TooLarge`),
    /// device failures.
    pub fn dequantize(&self) -> Result<Tensor> {
        let ids: Vec<u32> = (0..to_u32(OP, self.rows())?).collect();
        let ids = Tensor::from_slice(self.device(), &ids, &[self.rows()])?;
        self.gather_checked_rows(&ids)
    }

    /// [`QuantMatrix::gather_rows`] for ids known to be in range (u32 or i32).
    fn gather_checked_rows(&self, ids: &Tensor) -> Result<Tensor> {
        let rows = self.rows();
        let ids = ids.contiguous()?;
        let mut shape = ids.shape().to_vec();
        shape.push(self.cols());
        let out = Tensor::uninit(self.device(), DType::F32, &shape, OP)?;
        if out.numel() == 0 {
            return Ok(out);
        }
        if host_ops::runs_on_host(self.device()) {
            // Dequantize only the rows asked for, not the whole table.
            let bytes = self.to_ggml_bytes()?;
            let row = super::row_bytes(self.format(), self.cols())?;
            let mut picked = Vec::with_capacity(out.numel() / self.cols() * row);
            for id in host_ops::read_u32(&ids)? {
                picked.extend_from_slice(&bytes[id as usize * row..][..row]);
            }
            let values = super::dequantize_rows(self.format(), &picked, self.cols())?;
            host_ops::write_f32(&out, &values)?;
            return Ok(out);
        }
        let params = QuantGatherParams {
            n: to_u32(OP, out.numel())?,
            cols: to_u32(OP, self.cols())?,
            rows: to_u32(OP, rows)?,
            blocks: to_u32(OP, self.blocks_per_row())?,
            ids_off: to_u32(OP, ids.offset())?,
            out_off: 0,
            pad: [0; 2],
        };
        let source = QuantGatherSpec {
            format: self.format(),
            index_dtype: ids.dtype(),
        }
        .rendered();
        launch(
            OP,
            self.device(),
            &source,
            &[
                self.quants().buffer(),
                self.scales().buffer(),
                ids.buffer(),
                out.buffer(),
            ],
            &params,
            elementwise_workgroups(out.numel() as u64),
        )?;
        Ok(out)
    }
}
