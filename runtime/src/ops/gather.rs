//! Row gather (embedding lookup), with ids checked on the host before dispatch.

use super::declaration::{KernelCandidate, Needs, OpDeclaration};
use super::gather_blocks::gather_by_blocks;
use super::launch::{launch, same_device, to_u32};
use crate::error::{Error, Result, ShapeError};
use crate::host_ops;
use crate::tensor::Tensor;
use tessera_kernels::KernelSpec;
use tessera_kernels::{elementwise_workgroups, DType, GatherParams, GatherSpec};

/// The declaration of `gather` (see [`OpDeclaration`]).
pub(crate) const GATHER: OpDeclaration = OpDeclaration {
    name: "gather",
    summary: "rows of a [rows, cols] table by u32 or i32 ids (checked in range)",
    api: "Tensor::gather_rows, Tensor::gather_rows_host",
    reference: "reference::gather",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "EXACT",
    kernels: &[KernelCandidate {
        name: "general",
        spec: "GatherSpec",
        needs: Needs::NOTHING,
        when: "any",
    }],
    tuned: false,
    conformance: crate::conformance::gather,
};

impl Tensor {
    /// Rows of this `[rows, cols]` table picked by `ids` (u32 or i32, any shape):
    /// the result has shape `[..ids.shape, cols]`. Every id is checked against the
    /// table on the host first (this reads the ids back); an id out of range is
    /// [`Error::IndexOutOfRange`].
    pub fn gather_rows(&self, ids: &Tensor) -> Result<Tensor> {
        let op = "gather";
        same_device(op, &[self, ids])?;
        self.check_gather_table(op)?;
        let values: Vec<i64> = match ids.dtype() {
            DType::U32 => ids.to_vec::<u32>()?.into_iter().map(i64::from).collect(),
            DType::I32 => ids.to_vec::<i32>()?.into_iter().map(i64::from).collect(),
            other => {
                return Err(Error::DType {
                    op,
                    expected: "u32 or i32 ids".into(),
                    found: other,
                })
            }
        };
        self.gather_known_rows(ids, &values)
    }

    /// [`Tensor::gather_rows`] of ids held on the host, uploaded as a u32
    /// tensor of `shape`: checked against the table on the host, with no
    /// read-back (the web's way, where nothing may block; and one wait less
    /// natively).
    pub fn gather_rows_host(&self, ids: &[u32], shape: &[usize]) -> Result<Tensor> {
        let op = "gather";
        if shape.iter().product::<usize>() != ids.len() {
            return Err(ShapeError::new(
                op,
                format!("{} ids do not fill the ids' shape", ids.len()),
                &[self.shape(), shape],
            )
            .into());
        }
        self.check_gather_table(op)?;
        let values: Vec<i64> = ids.iter().map(|&v| i64::from(v)).collect();
        self.gather_known_rows(&Tensor::from_slice(self.device(), ids, shape)?, &values)
    }

    /// A gather's table must be a float `[rows, cols]`.
    fn check_gather_table(&self, op: &'static str) -> Result<()> {
        if self.rank() != 2 {
            return Err(ShapeError::new(op, "table must be [rows, cols]", &[self.shape()]).into());
        }
        super::elementwise::require_float(op, self)
    }

    /// The gather of `ids`, whose values (`values`, on the host) are checked
    /// against the table here, before any dispatch.
    pub(crate) fn gather_known_rows(&self, ids: &Tensor, values: &[i64]) -> Result<Tensor> {
        let op = "gather";
        let (rows, cols) = (self.shape()[0], self.shape()[1]);
        if let Some(position) = values.iter().position(|&v| v < 0 || v >= rows as i64) {
            return Err(Error::IndexOutOfRange {
                op,
                index: values[position],
                position,
                bound: rows,
            });
        }
        let table = self.contiguous()?;
        let mut shape = ids.shape().to_vec();
        shape.push(cols);
        if !table.fits_binding() && !host_ops::runs_on_host(self.device()) {
            // Vocabulary blocks, each bound as a window of the table.
            let blocks = table.row_windows(op)?;
            let block_rows: Vec<usize> = blocks.iter().map(|b| b.shape()[0]).collect();
            let ids: Vec<u32> = values.iter().map(|&v| v as u32).collect();
            let rows = gather_by_blocks(op, &ids, &block_rows, |block, local| {
                blocks[block].gather_rows_host(local, &[local.len()])
            })?;
            return rows.reshape(&shape);
        }
        let ids_c = ids.contiguous()?;
        let out = Tensor::uninit(self.device(), self.dtype(), &shape, op)?;
        if out.numel() > 0 && host_ops::runs_on_host(self.device()) {
            host_ops::gather_rows(&table, &ids_c, &out)?;
        } else if out.numel() > 0 {
            let params = GatherParams {
                n: to_u32(op, out.numel())?,
                cols: to_u32(op, cols)?,
                rows: to_u32(op, rows)?,
                table_off: to_u32(op, table.offset())?,
                ids_off: to_u32(op, ids_c.offset())?,
                out_off: 0,
                pad: [0; 2],
            };
            let source = GatherSpec {
                dtype: self.dtype(),
                index_dtype: ids.dtype(),
            }
            .rendered();
            launch(
                op,
                self.device(),
                &source,
                &[table.buffer(), ids_c.buffer(), out.buffer()],
                &params,
                elementwise_workgroups(out.numel() as u64),
            )?;
        }
        Ok(out)
    }
}
