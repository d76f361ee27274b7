//! Decode attention of a batch of sequences over a slotted key/value pool in
//! one dispatch: row `r` (one sequence's new token) attends over its own
//! slot's keys up to its own position.

use super::declaration::{KernelCandidate, Needs, OpDeclaration};
use super::kv_cache_checks::pool_dims;
use super::launch::{launch, same_device, to_u32};
use super::slot_table::SlotTable;
use crate::error::{Error, Result, ShapeError};
use crate::host_ops;
use crate::tensor::Tensor;
use tessera_kernels::KernelSpec;
use tessera_kernels::{
    decode_attention_workgroups, DType, SlottedAttentionParams, SlottedAttentionSpec,
    DECODE_ATTENTION_MAX_HEAD_DIM,
};

/// The declaration of `slotted_attention` (see [`OpDeclaration`]).
pub(crate) const SLOTTED_ATTENTION: OpDeclaration = OpDeclaration {
    name: "slotted_attention",
    summary: "decode attention of a batch, each row over its own pool slot (online softmax)",
    api: "Tensor::slotted_attention",
    reference: "reference::slotted_attention",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "F32_TRANSCENDENTAL / F16",
    kernels: &[KernelCandidate {
        name: "whole",
        spec: "SlottedAttentionSpec",
        needs: Needs::NOTHING,
        when: "any",
    }],
    tuned: false,
    conformance: crate::conformance::slotted_attention,
};

const OP: &str = "slotted_attention";

impl Tensor {
    /// Causal attention of a decode batch over a slotted pool: `self` holds
    /// the queries, already scaled, as `[rows, heads, head_dim]` (what
    /// [`Tensor::slotted_qkv_rope`] returns); row `r` is the new token of
    /// the sequence in slot `table.rows()[r].0` at position
    /// `table.rows()[r].1` and sees that slot's keys `0 ..= position` of
    /// `keys` and `values`, whole contiguous `[slots, kv_heads, capacity,
    /// head_dim]` pools; query head `h` reads key/value head `h / (heads /
    /// kv_heads)`. Returns `[rows, heads * head_dim]`, the input of the
    /// output projection. One workgroup per (row, head), over all its keys.
    ///
    /// Errors: shapes, dtypes or devices that do not fit, a table of another
    /// row count, a slot or position past the pool (checked on the host), a
    /// head dim over 256, a pool larger than one binding, sizes beyond
    /// 32-bit indexing or the dispatch limits.
    pub fn slotted_attention(
        &self,
        table: &SlotTable,
        keys: &Tensor,
        values: &Tensor,
    ) -> Result<Tensor> {
        same_device(OP, &[self, keys, values, table.tensor()])?;
        super::elementwise::require_float(OP, self)?;
        let shapes = [self.shape(), keys.shape(), values.shape()];
        let bad = |msg: String| -> Error { ShapeError::new(OP, msg, &shapes).into() };
        let (rows, heads, head_dim) = match self.shape() {
            &[rows, h, d] if rows == table.len() && h > 0 && d > 0 => (rows, h, d),
            _ => {
                return Err(bad(format!(
                    "q must be [{} (the table's rows), heads, head_dim]",
                    table.len()
                )))
            }
        };
        if head_dim > DECODE_ATTENTION_MAX_HEAD_DIM {
            return Err(bad(format!(
                "head_dim {head_dim} exceeds {DECODE_ATTENTION_MAX_HEAD_DIM}"
            )));
        }
        let kv_heads = match keys.shape() {
            &[_, kv, _, _] if kv > 0 && heads.is_multiple_of(kv) => kv,
            _ => {
                return Err(bad(
                    "the pool's key/value heads must divide the query heads".into(),
                ))
            }
        };
        let (slots, capacity) = pool_dims(OP, (keys, values), kv_heads, head_dim, self.dtype())?;
        table.check(OP, slots, capacity)?;
        let q = self.contiguous()?;
        let out = Tensor::uninit(self.device(), self.dtype(), &[rows, heads * head_dim], OP)?;
        if host_ops::runs_on_host(q.device()) {
            let dims = crate::reference::SlottedDims {
                heads,
                kv_heads,
                head_dim,
                slots,
                capacity,
            };
            host_ops::slotted_attention(&q, (keys, values), table.rows(), dims, &out)?;
            return Ok(out);
        }
        to_u32(OP, keys.numel())?;
        to_u32(OP, q.offset() + q.numel())?;
        let groups = rows * heads;
        let params = SlottedAttentionParams {
            rows: to_u32(OP, rows)?,
            heads: to_u32(OP, heads)?,
            kv_heads: to_u32(OP, kv_heads)?,
            head_dim: to_u32(OP, head_dim)?,
            capacity: to_u32(OP, capacity)?,
            slot_stride: to_u32(OP, kv_heads * capacity * head_dim)?,
            q_off: to_u32(OP, q.offset())?,
            groups: to_u32(OP, groups)?,
        };
        launch(
            OP,
            q.device(),
            &SlottedAttentionSpec { dtype: q.dtype() }.rendered(),
            &[
                q.buffer(),
                keys.buffer(),
                values.buffer(),
                table.tensor().buffer(),
                out.buffer(),
            ],
            &params,
            decode_attention_workgroups(groups as u64),
        )?;
        Ok(out)
    }
}
