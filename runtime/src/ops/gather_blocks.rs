//! A row lookup over a table held as consecutive row blocks (a table larger
//! than one storage binding, or a [`crate::ops::Weight::Rows`]): each block's
//! ids in one lookup, then one gather puts the rows back in id order.

use crate::error::{Error, Result};
use crate::ops::concat;
use crate::tensor::Tensor;

/// Rows `ids` of a table whose consecutive blocks have `block_rows` rows,
/// `[ids.len(), cols]`; `gather(block, local_ids)` looks rows up in one block.
/// An id past the last block is [`Error::IndexOutOfRange`] naming `op`.
pub(crate) fn gather_by_blocks(
    op: &'static str,
    ids: &[u32],
    block_rows: &[usize],
    mut gather: impl FnMut(usize, &[u32]) -> Result<Tensor>,
) -> Result<Tensor> {
    let total: usize = block_rows.iter().sum();
    if let Some((position, &id)) = ids.iter().enumerate().find(|(_, &id)| id as usize >= total) {
        return Err(Error::IndexOutOfRange {
            op,
            index: i64::from(id),
            position,
            bound: total,
        });
    }
    let mut pieces = Vec::new();
    let mut order = vec![0u32; ids.len()];
    let (mut first_row, mut stacked) = (0usize, 0usize);
    for (block, &rows) in block_rows.iter().enumerate() {
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
            pieces.push(gather(block, &local)?);
        }
        first_row += rows;
    }
    // Ids of one block come back in their order already.
    if pieces.len() == 1 {
        return Ok(pieces.remove(0));
    }
    let refs: Vec<&Tensor> = pieces.iter().collect();
    let all = concat(&refs, 0)?;
    all.gather_rows_host(&order, &[ids.len()])
}
