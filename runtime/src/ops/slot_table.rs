//! The per-row table of a batched decode step over a slotted key/value pool:
//! which slot each row's sequence owns and the position of its new token,
//! kept on the host (for the checks) and uploaded once (for the kernels).

use crate::error::{Error, Result};
use crate::tensor::Tensor;
use std::sync::Arc;
use tessera_hal::Device;

const OP: &str = "slot_table";

/// Row `r` of a decode batch is the new token of the sequence in slot
/// `rows()[r].0`, at position `rows()[r].1`. Built once per step and shared
/// by every layer's [`Tensor::slotted_qkv_rope`] and
/// [`Tensor::slotted_attention`].
#[derive(Clone, Debug)]
pub struct SlotTable {
    rows: Vec<(usize, usize)>,
    tensor: Tensor,
}

impl SlotTable {
    /// Upload `rows` (slot, position) as a u32 `[rows, 2]` tensor. Errors: no
    /// rows, a slot twice (two rows would write the same cache), a value past
    /// u32. Whether the slots and positions fit a pool is checked by the ops.
    pub fn new(device: &Arc<dyn Device>, rows: &[(usize, usize)]) -> Result<SlotTable> {
        if rows.is_empty() {
            return Err(Error::InvalidArgument {
                op: OP,
                message: "a batch needs at least one row".into(),
            });
        }
        for (r, &(slot, _)) in rows.iter().enumerate() {
            if rows[..r].iter().any(|&(other, _)| other == slot) {
                return Err(Error::InvalidArgument {
                    op: OP,
                    message: format!("slot {slot} has two rows (rows take one slot each)"),
                });
            }
        }
        let mut flat = Vec::with_capacity(2 * rows.len());
        for &(slot, position) in rows {
            for value in [slot, position] {
                flat.push(u32::try_from(value).map_err(|_| Error::TooLarge {
                    op: OP,
                    message: format!("{value} exceeds 32-bit indexing"),
                })?);
            }
        }
        let tensor = Tensor::from_slice(device, &flat, &[rows.len(), 2])?;
        Ok(SlotTable {
            rows: rows.to_vec(),
            tensor,
        })
    }

    /// The rows' (slot, position) pairs.
    pub fn rows(&self) -> &[(usize, usize)] {
        &self.rows
    }

    /// Rows in the batch.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Always false: a table has at least one row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The u32 `[rows, 2]` tensor the kernels read.
    pub fn tensor(&self) -> &Tensor {
        &self.tensor
    }

    /// An error unless every row's slot is below `slots` and its position
    /// below `positions` (the pool's capacity, and for rope the tables').
    pub(crate) fn check(&self, op: &'static str, slots: usize, positions: usize) -> Result<()> {
        for (r, &(slot, position)) in self.rows.iter().enumerate() {
            let (index, bound) = match (slot < slots, position < positions) {
                (false, _) => (slot, slots),
                (true, false) => (position, positions),
                (true, true) => continue,
            };
            return Err(Error::IndexOutOfRange {
                op,
                index: index as i64,
                position: r,
                bound,
            });
        }
        Ok(())
    }
}
