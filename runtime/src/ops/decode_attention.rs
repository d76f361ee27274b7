//! Causal attention of a few new tokens over a key/value cache: one dispatch,
//! or for long contexts two (the keys split over several workgroups per query
//! row, then merged).

use super::attention_blocks::{attention_by_heads, caches_fit};
use super::declaration::{KernelCandidate, Needs, OpDeclaration};
use super::kv_cache_checks::cache_capacity;
use super::launch::{launch, same_device, to_u32};
use crate::error::{Error, Result, ShapeError};
use crate::host_ops;
use crate::tensor::Tensor;
use tessera_kernels::KernelSpec;
use tessera_kernels::{
    decode_attention_workgroups, DType, DecodeAttentionParams, DecodeAttentionSpec,
    DecodeAttentionStage, DECODE_ATTENTION_MAX_HEAD_DIM,
};

/// The declaration of `cached_attention` (see [`OpDeclaration`]).
pub(crate) const CACHED_ATTENTION: OpDeclaration = OpDeclaration {
    name: "decode_attention",
    summary: "causal attention of new tokens over a key/value cache (online softmax)",
    api: "Tensor::cached_attention",
    reference: "reference::cached_attention",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "F32_TRANSCENDENTAL / F16",
    kernels: &[
        KernelCandidate {
            name: "whole",
            spec: "DecodeAttentionSpec",
            needs: Needs::NOTHING,
            when: "enough (head, row) pairs to fill the device",
        },
        KernelCandidate {
            name: "split_keys",
            spec: "DecodeAttentionSpec",
            needs: Needs::NOTHING,
            when: "long contexts with few rows: partials then combine",
        },
    ],
    tuned: false,
    conformance: crate::conformance::cached_attention,
};

const OP: &str = "cached_attention";

/// Fewest keys a split workgroup takes: below this the merge costs more than
/// the parallelism gains.
const MIN_KEYS_PER_SPLIT: usize = 256;

/// Workgroups the split aims to fill: enough for every SM or compute unit of
/// a large GPU; a small one runs the extra workgroups in turn at little cost.
const TARGET_WORKGROUPS: usize = 256;

/// Key ranges per query row for `pairs` (kv head, query row) pairs over at most
/// `keys` visible keys: 1 (one dispatch) unless the pairs alone leave the GPU
/// mostly idle and every range still gets [`MIN_KEYS_PER_SPLIT`] keys.
pub(crate) fn attention_splits(pairs: usize, keys: usize) -> usize {
    if pairs >= TARGET_WORKGROUPS {
        return 1;
    }
    let by_keys = keys / MIN_KEYS_PER_SPLIT;
    let by_grid = TARGET_WORKGROUPS.div_ceil(pairs.max(1));
    by_keys.min(by_grid).max(1)
}

impl Tensor {
    /// Causal attention of `s` new tokens over the caches, fused (scores,
    /// softmax and the weighted sum of values, with an online softmax) into one
    /// dispatch, or for long contexts two: the keys of each query row split
    /// over several workgroups (see [`attention_splits`]), then merged. `self` holds the queries, already scaled, as
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
        let fits = q.fits_binding() && caches_fit(keys, values);
        if !fits && !host_ops::runs_on_host(q.device()) {
            return attention_by_heads(&q, (keys, values), past, s);
        }
        to_u32(OP, keys.numel())?;
        to_u32(OP, q.offset() + q.numel())?;
        let pairs = kv_heads * rows;
        let visible = past + s;
        let splits = attention_splits(pairs, visible);
        let chunk = visible.div_ceil(splits);
        let out = Tensor::uninit(self.device(), self.dtype(), self.shape(), OP)?;
        if host_ops::runs_on_host(q.device()) {
            let dims = crate::reference::AttentionDims {
                kv_heads,
                rows,
                head_dim,
                capacity,
                past,
                s,
            };
            host_ops::cached_attention(&q, (keys, values), dims, &out)?;
            return Ok(out);
        }
        let mut params = DecodeAttentionParams {
            kv_heads: to_u32(OP, kv_heads)?,
            rows: to_u32(OP, rows)?,
            s: to_u32(OP, s)?,
            past: to_u32(OP, past)?,
            head_dim: to_u32(OP, head_dim)?,
            capacity: to_u32(OP, capacity)?,
            q_off: to_u32(OP, q.offset())?,
            groups: to_u32(OP, pairs * splits)?,
            splits: to_u32(OP, splits)?,
            chunk: to_u32(OP, chunk)?,
            pad: [0; 2],
        };
        let spec = |stage| DecodeAttentionSpec {
            dtype: q.dtype(),
            stage,
        };
        // One split writes the result; several write partials for the merge.
        let partials = match splits {
            1 => None,
            _ => {
                let shape = [pairs * splits, head_dim + 2];
                let partials = Tensor::uninit(self.device(), DType::F32, &shape, OP)?;
                to_u32(OP, partials.numel())?;
                Some(partials)
            }
        };
        let (stage, target) = match &partials {
            None => (DecodeAttentionStage::Whole, &out),
            Some(partials) => (DecodeAttentionStage::Partial, partials),
        };
        launch(
            OP,
            q.device(),
            &spec(stage).rendered(),
            &[q.buffer(), keys.buffer(), values.buffer(), target.buffer()],
            &params,
            decode_attention_workgroups((pairs * splits) as u64),
        )?;
        let Some(partials) = partials else {
            return Ok(out);
        };
        params.groups = to_u32(OP, pairs)?;
        let combine = spec(DecodeAttentionStage::Combine).rendered();
        launch(
            OP,
            q.device(),
            &combine,
            &[partials.buffer(), out.buffer()],
            &params,
            decode_attention_workgroups(pairs as u64),
        )?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_contexts_with_few_rows_split_their_keys() {
        // Short contexts and many rows: one dispatch.
        assert_eq!(attention_splits(14, 300), 1);
        assert_eq!(attention_splits(14, 511), 1);
        assert_eq!(attention_splits(256, 100_000), 1);
        // Qwen2.5-0.5B decode (2 kv heads x 7 query rows) at 4096 keys: 16
        // ranges of 256; at 100k keys the grid caps it at 256 / 14 -> 19.
        assert_eq!(attention_splits(14, 4096), 16);
        assert_eq!(attention_splits(14, 100_000), 19);
        // Every range keeps at least MIN_KEYS_PER_SPLIT keys.
        for keys in [512, 777, 5000] {
            let splits = attention_splits(1, keys);
            assert!(keys.div_ceil(splits) >= MIN_KEYS_PER_SPLIT, "{keys}");
        }
    }
}
