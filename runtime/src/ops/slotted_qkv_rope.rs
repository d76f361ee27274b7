//! The attention inputs of a decode batch over a slotted key/value pool in
//! one dispatch: each row (one sequence's new token) split from the fused
//! q/k/v projection, biased, rotated at its own position, and its keys and
//! values written into its own slot.

use super::declaration::{KernelCandidate, Needs, OpDeclaration};
use super::kv_cache_checks::pool_dims;
use super::launch::{launch, to_u32};
use super::qkv_rope::QkvRope;
use super::slot_table::SlotTable;
use crate::error::{Error, Result, ShapeError};
use crate::host_ops;
use crate::tensor::Tensor;
use tessera_kernels::KernelSpec;
use tessera_kernels::{elementwise_workgroups, DType, SlottedQkvRopeParams, SlottedQkvRopeSpec};

/// The declaration of `slotted_qkv_rope` (see [`OpDeclaration`]).
pub(crate) const SLOTTED_QKV_ROPE: OpDeclaration = OpDeclaration {
    name: "slotted_qkv_rope",
    summary: "qkv_rope for a decode batch: per-row positions, writes into per-row pool slots",
    api: "Tensor::slotted_qkv_rope",
    reference: "reference::slotted_qkv_rope",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "F32_TRANSCENDENTAL",
    kernels: &[KernelCandidate {
        name: "general",
        spec: "SlottedQkvRopeSpec",
        needs: Needs::NOTHING,
        when: "any",
    }],
    tuned: false,
    conformance: crate::conformance::slotted_qkv_rope,
};

const OP: &str = "slotted_qkv_rope";

impl Tensor {
    /// [`Tensor::qkv_rope`] for a decode batch over a slotted pool: `self`
    /// is the fused projection `[rows, (heads + 2 kv_heads) * head_dim]`,
    /// row `r` the new token of the sequence in slot `table.rows()[r].0` at
    /// position `table.rows()[r].1`. Returns the queries plus bias, rotated
    /// and scaled, as `[rows, heads, head_dim]` (what
    /// [`Tensor::slotted_attention`] reads); writes each row's keys (rotated)
    /// and values at its position of its slot of `keys` and `values`, whole
    /// contiguous `[slots, kv_heads, capacity, head_dim]` pools. Nothing else
    /// of the pools changes. `spec.pos0` must be 0 (the table holds the
    /// positions).
    ///
    /// Errors: shapes, dtypes or devices that do not fit, a table of another
    /// row count, a slot past the pool or a position past the pool or the
    /// rope tables (checked on the host), a pool larger than one binding,
    /// sizes beyond 32-bit indexing.
    pub fn slotted_qkv_rope(
        &self,
        spec: &QkvRope<'_>,
        table: &SlotTable,
        keys: &Tensor,
        values: &Tensor,
    ) -> Result<Tensor> {
        let QkvRope {
            heads,
            kv_heads,
            head_dim,
            bias,
            cos,
            sin,
            pos0,
            q_scale,
        } = *spec;
        let (positions, width) = spec.check_shared(OP, self, keys, &[values, table.tensor()])?;
        let shapes = [self.shape(), keys.shape(), cos.shape()];
        let bad = |msg: String| -> Error { ShapeError::new(OP, msg, &shapes).into() };
        if pos0 != 0 {
            return Err(Error::InvalidArgument {
                op: OP,
                message: format!("pos0 is {pos0}: the slot table holds the positions"),
            });
        }
        let rows = match self.shape() {
            &[rows, w] if w == width && rows == table.len() => rows,
            _ => {
                return Err(bad(format!(
                    "x must be [{} (the table's rows), {width}]",
                    table.len()
                )))
            }
        };
        let half = head_dim / 2;
        let (slots, capacity) = pool_dims(OP, (keys, values), kv_heads, head_dim, self.dtype())?;
        table.check(OP, slots, capacity.min(positions))?;
        let x = self.contiguous()?;
        let (cos, sin) = (cos.at_offset_zero()?, sin.at_offset_zero()?);
        let bias = bias.map(Tensor::at_offset_zero).transpose()?;
        let q = Tensor::uninit(self.device(), self.dtype(), &[rows, heads, head_dim], OP)?;
        if host_ops::runs_on_host(x.device()) {
            let dims = crate::reference::SlottedDims {
                heads,
                kv_heads,
                head_dim,
                slots,
                capacity,
            };
            let tensors = host_ops::QkvRopeTensors {
                x: &x,
                bias: bias.as_ref(),
                tables: (&cos, &sin),
                caches: (keys, values),
                q: &q,
            };
            host_ops::slotted_qkv_rope(dims, table.rows(), q_scale, tensors)?;
            return Ok(q);
        }
        to_u32(OP, keys.numel())?;
        to_u32(OP, x.offset() + x.numel())?;
        let n = rows * (heads + 2 * kv_heads) * half;
        let params = SlottedQkvRopeParams {
            n: to_u32(OP, n)?,
            heads: to_u32(OP, heads)?,
            kv_heads: to_u32(OP, kv_heads)?,
            half: to_u32(OP, half)?,
            positions: to_u32(OP, positions)?,
            capacity: to_u32(OP, capacity)?,
            slot_stride: to_u32(OP, kv_heads * capacity * head_dim)?,
            x_off: to_u32(OP, x.offset())?,
            has_bias: bias.is_some() as u32,
            q_scale,
            pad: [0; 2],
        };
        let bias_buffer = bias.as_ref().unwrap_or(&x).buffer();
        launch(
            OP,
            x.device(),
            &SlottedQkvRopeSpec { dtype: x.dtype() }.rendered(),
            &[
                x.buffer(),
                bias_buffer,
                cos.buffer(),
                sin.buffer(),
                table.tensor().buffer(),
                q.buffer(),
                keys.buffer(),
                values.buffer(),
            ],
            &params,
            elementwise_workgroups(n as u64),
        )?;
        Ok(q)
    }
}
