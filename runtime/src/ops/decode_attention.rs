//! Causal attention of a few new tokens over a key/value cache in one dispatch.

use super::kv_cache_checks::cache_capacity;
use super::launch::{launch, same_device, to_u32};
use crate::error::{Error, Result, ShapeError};
use crate::tensor::Tensor;
use tessera_kernels::KernelSpec;
use tessera_kernels::{
    decode_attention_workgroups, DecodeAttentionParams, DecodeAttentionSpec,
    DECODE_ATTENTION_MAX_HEAD_DIM,
};

const OP: &str = "cached_attention";

impl Tensor {
    /// Causal attention of `s` new tokens over the caches, fused into one
    /// dispatch (scores, softmax and the weighted sum of values, with an
    /// online softmax). `self` holds the queries, already scaled, as
    /// `[kv_heads, group * s, head_dim]` (row `g * s + r`: the query of head
    /// `kv * group + g` for new token `r`, as [`Tensor::qkv_rope`] returns
    /// them); `keys` and `values` are whole contiguous `[kv_heads, capacity,
    /// head_dim]` caches holding `past + s` tokens, the new ones at `past ..`.
    /// Token `r` sees keys `0 ..= past + r`. Returns `[kv_heads, group * s,
    /// head_dim]` in `self`'s layout.
    ///
    /// Errors: shapes, dtypes or devices that do not fit, `past + s` beyond
    /// the caches, a head dim over 256, sizes beyond 32-bit indexing or the
    /// dispatch limits.
    pub fn cached_attention(
        &self,
        keys: &Tensor,
        values: &Tensor,
        past: usize,
        s: usize,
    ) -> Result<Tensor> {
        same_device(OP, &[self, keys, values])?;
        super::elementwise::require_float(OP, self)?;
        let shapes = [self.shape(), keys.shape(), values.shape()];
        let bad = |msg: String| -> Error { ShapeError::new(OP, msg, &shapes).into() };
        let (kv_heads, rows, head_dim) = match self.shape() {
            &[kv, rows, d] if kv > 0 && d > 0 => (kv, rows, d),
            _ => return Err(bad("q must be [kv_heads, group * s, head_dim]".into())),
        };
        if s == 0 || rows == 0 || !rows.is_multiple_of(s) {
            return Err(bad(format!(
                "{rows} query rows are not a group of {s} tokens"
            )));
        }
        if head_dim > DECODE_ATTENTION_MAX_HEAD_DIM {
            return Err(bad(format!(
                "head_dim {head_dim} exceeds {DECODE_ATTENTION_MAX_HEAD_DIM}"
            )));
        }
        let capacity = cache_capacity(OP, keys, values, kv_heads, head_dim, self.dtype())?;
        if past.checked_add(s).is_none_or(|end| end > capacity) {
            return Err(bad(format!(
                "{past} cached + {s} new tokens exceed the caches' {capacity} positions"
            )));
        }
        let q = self.contiguous()?;
        to_u32(OP, keys.numel())?;
        to_u32(OP, q.offset() + q.numel())?;
        let groups = kv_heads * rows;
        let out = Tensor::uninit(self.device(), self.dtype(), self.shape(), OP)?;
        let params = DecodeAttentionParams {
            kv_heads: to_u32(OP, kv_heads)?,
            rows: to_u32(OP, rows)?,
            s: to_u32(OP, s)?,
            past: to_u32(OP, past)?,
            head_dim: to_u32(OP, head_dim)?,
            capacity: to_u32(OP, capacity)?,
            q_off: to_u32(OP, q.offset())?,
            groups: to_u32(OP, groups)?,
        };
        launch(
            OP,
            q.device(),
            &DecodeAttentionSpec { dtype: q.dtype() }.rendered(),
            &[q.buffer(), keys.buffer(), values.buffer(), out.buffer()],
            &params,
            decode_attention_workgroups(groups as u64),
        )?;
        Ok(out)
    }
}
