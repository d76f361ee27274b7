//! One decode step of several sequences at once: each sequence brings one new
//! token at its own position and its own [`KvCache`]; the projections, the
//! MLP and the output head run as `[n, hidden]` matmuls (the weights read once
//! for the whole batch). When every cache is a slot of one [`KvPool`], the
//! rotary embedding with the cache writes and the attention are one dispatch
//! each per layer for the whole batch ([`Tensor::slotted_qkv_rope`],
//! [`Tensor::slotted_attention`], rows indexed by a [`SlotTable`] uploaded
//! once per step); otherwise they run per sequence against its own cache.
//!
//! [`KvPool`]: super::KvPool

use super::decoder::{Decoder, DecoderLayer};
use super::kv_cache::KvCache;
use super::kv_pool::PoolShared;
use crate::error::{Error, Result};
use crate::ops::{concat, SlotTable};
use crate::tensor::Tensor;
use std::sync::Arc;

const OP: &str = "decoder_batch";

/// Where a batch's attention reads and writes its keys and values.
enum BatchCaches<'a> {
    /// Every sequence in a slot of one pool: the batched kernels.
    Pooled {
        pool: &'a PoolShared,
        table: SlotTable,
    },
    /// Caches of their own (or of several pools): per sequence.
    Separate(Vec<&'a KvCache>),
}

impl Decoder {
    /// One new token for each of `n` sequences: `ids[i]` follows the tokens in
    /// `caches[i]` (whose lengths may differ). Returns the logits `[n, vocab]`
    /// on the device, row `i` for sequence `i`, and appends each token to its
    /// cache.
    ///
    /// Errors: no sequences, `ids` and `caches` of different lengths, an id
    /// outside the vocabulary, a cache with no room left; on any error no
    /// cache has advanced.
    pub fn forward_batch(&self, ids: &[u32], caches: &mut [&mut KvCache]) -> Result<Tensor> {
        let cfg = &self.config;
        if ids.is_empty() || ids.len() != caches.len() {
            return Err(Error::InvalidArgument {
                op: OP,
                message: format!(
                    "{} tokens for {} caches: need one token per cache, at least one",
                    ids.len(),
                    caches.len()
                ),
            });
        }
        if let Some((position, &id)) = ids
            .iter()
            .enumerate()
            .find(|(_, &id)| id as usize >= cfg.vocab_size)
        {
            return Err(Error::IndexOutOfRange {
                op: OP,
                index: id as i64,
                position,
                bound: cfg.vocab_size,
            });
        }
        for cache in caches.iter() {
            cache.check_room(1)?;
        }
        let shared: Vec<&KvCache> = caches.iter().map(|c| &**c).collect();
        let batch = self.batch_caches(shared)?;
        let mut x = self.embed.embed(self.device(), ids)?; // [n, hidden]
        for (index, layer) in self.layers.iter().enumerate() {
            x = self.batch_layer_forward(index, layer, &x, &batch)?;
        }
        let x = x.rms_norm(Some(&self.final_norm), cfg.rms_norm_eps)?;
        let logits = self.lm_head.forward(&x)?;
        for cache in caches.iter_mut() {
            cache.advance(1);
        }
        Ok(logits)
    }

    /// The pooled path when every cache is a slot of the same pool and the
    /// pool binds whole (its table uploaded now), else the separate one.
    fn batch_caches<'a>(&self, caches: Vec<&'a KvCache>) -> Result<BatchCaches<'a>> {
        let first = caches[0].slot().map(|(pool, _)| pool);
        let same_pool = |c: &&KvCache| matches!((c.slot(), first), (Some((pool, _)), Some(first)) if Arc::ptr_eq(pool, first));
        match first {
            Some(pool) if pool.fits_binding() && caches.iter().all(same_pool) => {
                let rows: Vec<(usize, usize)> = caches
                    .iter()
                    .map(|c| (c.slot().map_or(0, |(_, slot)| slot), c.len()))
                    .collect();
                let table = SlotTable::new(self.device(), &rows)?;
                Ok(BatchCaches::Pooled { pool, table })
            }
            _ => Ok(BatchCaches::Separate(caches)),
        }
    }

    /// Attention of the batch's new tokens from their fused projection `qkv`
    /// `[n, (heads + 2 kv_heads) * head_dim]`, their keys and values written
    /// into the caches: `[n, heads * head_dim]`.
    fn batch_attention(
        &self,
        index: usize,
        layer: &DecoderLayer,
        qkv: &Tensor,
        batch: &BatchCaches<'_>,
    ) -> Result<Tensor> {
        let cfg = &self.config;
        let width = cfg.num_heads * cfg.head_dim;
        let caches = match batch {
            BatchCaches::Pooled { pool, table } => {
                let (keys, values) = pool.layer(index);
                let q =
                    qkv.slotted_qkv_rope(&self.qkv_rope_params(layer, 0), table, keys, values)?;
                return q.slotted_attention(table, keys, values);
            }
            BatchCaches::Separate(caches) => caches,
        };
        let mut contexts = Vec::with_capacity(caches.len());
        for (row, cache) in caches.iter().enumerate() {
            let past = cache.len();
            let (keys, values) = cache.layer(index);
            // Queries [kv_heads, group, head_dim]: for one token this is the
            // heads in order, i.e. one row of [heads * head_dim].
            let q = qkv.narrow(0, row..row + 1)?.qkv_rope(
                &self.qkv_rope_params(layer, past),
                keys,
                values,
            )?;
            let context = q.cached_attention(keys, values, past, 1)?;
            contexts.push(context.reshape(&[1, width])?);
        }
        let parts: Vec<&Tensor> = contexts.iter().collect();
        match parts.as_slice() {
            [one] => Ok((*one).clone()),
            _ => concat(&parts, 0),
        }
    }

    fn batch_layer_forward(
        &self,
        index: usize,
        layer: &DecoderLayer,
        x: &Tensor,
        batch: &BatchCaches<'_>,
    ) -> Result<Tensor> {
        let cfg = &self.config;
        let (heads, kv_heads, head_dim) = (cfg.num_heads, cfg.num_kv_heads, cfg.head_dim);
        let h = x.rms_norm(Some(&layer.attn_norm), cfg.rms_norm_eps)?;
        let mut qkv = h.matmul_t(layer.qkv.weight())?; // [n, (heads + 2 kv_heads) * head_dim]
        if let Some(norm) = &layer.qk_norm {
            qkv = norm.apply(&qkv, heads, kv_heads, head_dim, cfg.rms_norm_eps)?;
        }
        let context = self.batch_attention(index, layer, &qkv, batch)?; // [n, heads * head_dim]
        let x = layer.o.forward_add(&context, x)?;

        let h = x.rms_norm(Some(&layer.mlp_norm), cfg.rms_norm_eps)?;
        let gate_up = layer.gate_up.forward(&h)?; // [n, 2 * intermediate]
        let inter = cfg.intermediate_size;
        let gated = gate_up
            .narrow(1, 0..inter)?
            .silu_mul(&gate_up.narrow(1, inter..2 * inter)?)?;
        layer.down.forward_add(&gated, &x)
    }
}

impl Decoder {
    /// Run `ids` (the next tokens after those in `cache`) into the cache
    /// without computing logits: a chunk of a prompt whose last token comes
    /// later. Errors as [`Decoder::forward`].
    pub fn prefill(&self, ids: &[u32], cache: &mut KvCache) -> Result<()> {
        self.hidden_states(ids, cache).map(drop)
    }
}
