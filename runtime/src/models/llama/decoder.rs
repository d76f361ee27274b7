//! The decoder forward pass: token embedding, pre-norm layers (RMSNorm, rotary
//! grouped-query attention over the KV cache, SiLU-gated MLP), final norm and
//! output head.

use super::config::DecoderConfig;
use super::kv_cache::KvCache;
use super::qk_norm::QkNorm;
use super::rope_tables::RopeTables;
use crate::error::{Error, Result};
use crate::nn::{Linear, Weight};
use crate::ops::QkvRope;
use crate::tensor::Tensor;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::DType;

/// Additive mask for keys a query may not see (after the query's position).
pub const CAUSAL_MASKED: f32 = -1.0e30;

/// Most new tokens whose attention runs as one fused dispatch
/// ([`Tensor::cached_attention`]); longer prompts use batched matmuls.
pub const FUSED_ATTENTION_MAX_TOKENS: usize = 8;

/// One decoder layer, built from [`Linear`] layers. The query, key and value
/// projections are stacked by rows into one layer, and so are the MLP's gate
/// and up projections, so a token takes one matmul for each stack (see
/// [`upload_stacked`](super::host_matrix::upload_stacked)).
#[derive(Clone, Debug)]
pub struct DecoderLayer {
    /// RMSNorm weight before attention.
    pub attn_norm: Tensor,
    /// Query, key and value projections stacked:
    /// `[(heads + 2 kv_heads) * head_dim, hidden]`, with their biases stacked
    /// the same way (Qwen2); the bias is added by [`Tensor::qkv_rope`], with
    /// the rotation.
    pub qkv: Linear,
    /// Qwen3's RMSNorm of each query and key head, before the rotation.
    pub qk_norm: Option<QkNorm>,
    /// Attention output projection.
    pub o: Linear,
    /// RMSNorm weight before the MLP.
    pub mlp_norm: Tensor,
    /// MLP gate (SiLU) and up projections stacked: `[2 * intermediate, hidden]`.
    pub gate_up: Linear,
    /// MLP down projection.
    pub down: Linear,
}

/// A Llama-family (Llama, Mistral, Qwen2, Qwen3) decoder with its weights on a device.
#[derive(Clone, Debug)]
pub struct Decoder {
    /// The architecture.
    pub config: DecoderConfig,
    /// Token table `[vocab, hidden]`.
    pub embed: Weight,
    /// Layers.
    pub layers: Vec<DecoderLayer>,
    /// Final RMSNorm weight.
    pub final_norm: Tensor,
    /// Output head `[vocab, hidden]` (the token table when tied).
    pub lm_head: Linear,
    /// Rotary tables for the model's whole context.
    pub rope: RopeTables,
}

impl Decoder {
    /// The device the weights live on.
    pub fn device(&self) -> &Arc<dyn Device> {
        self.final_norm.device()
    }

    /// Bytes of weights on the device (what decoding reads per token).
    pub fn weight_bytes(&self) -> usize {
        let layers: usize = self
            .layers
            .iter()
            .map(|l| {
                [&l.qkv, &l.o, &l.gate_up, &l.down]
                    .map(Linear::device_bytes)
                    .iter()
                    .sum::<usize>()
                    + (l.attn_norm.numel() + l.mlp_norm.numel()) * 4
            })
            .sum();
        layers + self.lm_head.device_bytes() + self.final_norm.numel() * 4
    }

    /// A KV cache for up to `capacity` tokens.
    pub fn new_cache(&self, capacity: usize) -> Result<KvCache> {
        KvCache::new(self.device(), &self.config, capacity)
    }

    /// A pool of `slots` KV caches of up to `capacity` tokens each, for
    /// batched decoding ([`KvPool::new`](super::KvPool::new)).
    pub fn new_kv_pool(&self, slots: usize, capacity: usize) -> Result<super::KvPool> {
        super::KvPool::new(self, slots, capacity)
    }

    /// Run `ids` (the next tokens after those in `cache`) and return the logits of
    /// the last one, `[vocab]`, on the device. The tokens are appended to the cache.
    pub fn forward(&self, ids: &[u32], cache: &mut KvCache) -> Result<Tensor> {
        let hidden = self.hidden_states(ids, cache)?;
        let last = hidden.narrow(0, ids.len() - 1..ids.len())?;
        let logits = self.head(&last)?;
        logits.reshape(&[self.config.vocab_size])
    }

    /// Like [`Decoder::forward`] but the logits of every new token, `[s, vocab]`.
    pub fn forward_all(&self, ids: &[u32], cache: &mut KvCache) -> Result<Tensor> {
        let hidden = self.hidden_states(ids, cache)?;
        self.head(&hidden)
    }

    fn head(&self, hidden: &Tensor) -> Result<Tensor> {
        let x = hidden.rms_norm(Some(&self.final_norm), self.config.rms_norm_eps)?;
        self.lm_head.forward(&x)
    }

    /// Hidden states `[s, hidden]` after the last layer (before the final norm).
    pub(super) fn hidden_states(&self, ids: &[u32], cache: &mut KvCache) -> Result<Tensor> {
        let cfg = &self.config;
        if ids.is_empty() {
            return Err(Error::TooLarge {
                op: "decoder",
                message: "no tokens to run".into(),
            });
        }
        if let Some((position, &id)) = ids
            .iter()
            .enumerate()
            .find(|(_, &id)| id as usize >= cfg.vocab_size)
        {
            return Err(Error::IndexOutOfRange {
                op: "decoder",
                index: id as i64,
                position,
                bound: cfg.vocab_size,
            });
        }
        cache.check_room(ids.len())?;
        let device = self.device();
        let s = ids.len();
        let mut x = self.embed.embed(device, ids)?; // [s, hidden]
        let mask = self.causal_mask(cache.len(), s)?;
        for (index, layer) in self.layers.iter().enumerate() {
            x = self.layer_forward(index, layer, &x, cache, mask.as_ref())?;
        }
        cache.advance(s);
        Ok(x)
    }

    /// The additive mask `[group * s, past + s]` for `s` new queries after
    /// `past` cached tokens: query row `r` is the token at `past + r % s` and sees
    /// keys up to its own position. `None` when the fused attention kernel
    /// runs (it applies the causal limit itself).
    fn causal_mask(&self, past: usize, s: usize) -> Result<Option<Tensor>> {
        if s <= FUSED_ATTENTION_MAX_TOKENS {
            return Ok(None);
        }
        let group = self.config.group_size();
        let keys = past + s;
        let rows = group * s;
        let mut mask = vec![0.0f32; rows * keys];
        for r in 0..rows {
            let position = past + r % s;
            for value in &mut mask[r * keys + position + 1..(r + 1) * keys] {
                *value = CAUSAL_MASKED;
            }
        }
        Ok(Some(Tensor::from_f32(
            self.device(),
            &mask,
            &[rows, keys],
            DType::F32,
        )?))
    }

    /// The q/k/v split, bias, rope from position `pos0` and query scale of
    /// `layer` (single-sequence and batched steps alike).
    pub(super) fn qkv_rope_params<'a>(
        &'a self,
        layer: &'a DecoderLayer,
        pos0: usize,
    ) -> QkvRope<'a> {
        let cfg = &self.config;
        QkvRope {
            heads: cfg.num_heads,
            kv_heads: cfg.num_kv_heads,
            head_dim: cfg.head_dim,
            bias: layer.qkv.bias(),
            cos: &self.rope.cos,
            sin: &self.rope.sin,
            pos0,
            q_scale: 1.0 / (cfg.head_dim as f32).sqrt(),
        }
    }

    fn layer_forward(
        &self,
        index: usize,
        layer: &DecoderLayer,
        x: &Tensor,
        cache: &KvCache,
        mask: Option<&Tensor>,
    ) -> Result<Tensor> {
        let cfg = &self.config;
        let s = x.shape()[0];
        let (heads, kv_heads, head_dim) = (cfg.num_heads, cfg.num_kv_heads, cfg.head_dim);
        let group = cfg.group_size();
        let past = cache.len();

        let h = x.rms_norm(Some(&layer.attn_norm), cfg.rms_norm_eps)?;
        // Bias, rope and query scale on q and k; q grouped as [kv_heads, group * s,
        // head_dim] (the `group` heads sharing a key/value head become rows of one
        // matmul); k and v written into the cache at positions past..past + s.
        let (keys, values) = cache.layer(index);
        let mut qkv = h.matmul_t(layer.qkv.weight())?;
        if let Some(norm) = &layer.qk_norm {
            qkv = norm.apply(&qkv, heads, kv_heads, head_dim, cfg.rms_norm_eps)?;
        }
        let q = qkv.qkv_rope(&self.qkv_rope_params(layer, past), keys, values)?;
        let context = match s <= FUSED_ATTENTION_MAX_TOKENS {
            // Scores, causal softmax and values in one dispatch.
            true => q.cached_attention(keys, values, past, s)?,
            // A long prompt: batched matmuls over the cached keys and values.
            false => {
                let keys = keys.narrow(1, 0..past + s)?;
                let values = values.narrow(1, 0..past + s)?;
                let scores = q.matmul(&keys.transpose(1, 2)?)?; // [kv_heads, group*s, past+s]
                scores.softmax(mask)?.matmul(&values)?
            }
        }; // [kv_heads, group*s, head_dim]
        let context = context
            .reshape(&[kv_heads, group, s, head_dim])?
            .permute(&[2, 0, 1, 3])?
            .contiguous()?
            .reshape(&[s, heads * head_dim])?;
        let x = layer.o.forward_add(&context, x)?;

        let h = x.rms_norm(Some(&layer.mlp_norm), cfg.rms_norm_eps)?;
        let gate_up = layer.gate_up.forward(&h)?; // [s, 2 * intermediate]
        let inter = cfg.intermediate_size;
        let gated = gate_up
            .narrow(1, 0..inter)?
            .silu_mul(&gate_up.narrow(1, inter..2 * inter)?)?;
        layer.down.forward_add(&gated, &x)
    }
}
