//! Embedding table lookup.

use crate::error::{Result, ShapeError};
use crate::tensor::Tensor;

/// A `[vocab, dim]` table; rows are looked up by id.
#[derive(Clone, Debug)]
pub struct Embedding {
    table: Tensor,
}

impl Embedding {
    /// Wrap a `[vocab, dim]` table.
    pub fn new(table: Tensor) -> Result<Embedding> {
        if table.rank() != 2 {
            return Err(ShapeError::new(
                "embedding",
                "table must be [vocab, dim]",
                &[table.shape()],
            )
            .into());
        }
        Ok(Embedding { table })
    }

    /// Rows of the table.
    pub fn vocab_size(&self) -> usize {
        self.table.shape()[0]
    }

    /// Width of a row.
    pub fn dim(&self) -> usize {
        self.table.shape()[1]
    }

    /// The table itself.
    pub fn table(&self) -> &Tensor {
        &self.table
    }

    /// Look up `ids` (a u32 or i32 tensor of any shape), giving `[..ids, dim]`.
    /// Ids outside the table are an error, checked before dispatch.
    pub fn forward(&self, ids: &Tensor) -> Result<Tensor> {
        self.table.gather_rows(ids)
    }

    /// [`Embedding::forward`] of ids held on the host, of `shape`: checked on
    /// the host, no read-back.
    pub fn forward_host(&self, ids: &[u32], shape: &[usize]) -> Result<Tensor> {
        self.table.gather_rows_host(ids, shape)
    }
}
