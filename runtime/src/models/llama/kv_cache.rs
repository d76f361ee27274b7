//! The key/value cache: per layer, keys and values `[kv_heads, capacity, head_dim]`
//! preallocated on the device for the context length the caller asks for,
//! either buffers of its own or a slot of a [`KvPool`](super::KvPool).

use super::config::DecoderConfig;
use super::kv_pool::{PoolShared, SlotLease};
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::DType;

/// Keys and values of every layer for the tokens seen so far.
#[derive(Debug)]
pub struct KvCache {
    keys: Vec<Tensor>,
    values: Vec<Tensor>,
    len: usize,
    capacity: usize,
    /// The pool slot the caches are windows of (`None`: buffers of its own).
    lease: Option<SlotLease>,
}

impl KvCache {
    /// A cache holding up to `capacity` tokens (at most the model's context).
    pub fn new(
        device: &Arc<dyn Device>,
        config: &DecoderConfig,
        capacity: usize,
    ) -> Result<KvCache> {
        if capacity == 0 || capacity > config.max_position_embeddings {
            return Err(Error::TooLarge {
                op: "kv_cache",
                message: format!(
                    "context of {capacity} tokens: must be 1..={} (the model's context length)",
                    config.max_position_embeddings
                ),
            });
        }
        let shape = [config.num_kv_heads, capacity, config.head_dim];
        let mut keys = Vec::new();
        let mut values = Vec::new();
        for _ in 0..config.num_layers {
            keys.push(Tensor::uninit(device, DType::F32, &shape, "kv_cache")?);
            values.push(Tensor::uninit(device, DType::F32, &shape, "kv_cache")?);
        }
        Ok(KvCache {
            keys,
            values,
            len: 0,
            capacity,
            lease: None,
        })
    }

    /// An empty cache over a pool slot's windows (`[kv_heads, padded
    /// capacity, head_dim]` per layer), holding the pool's capacity.
    pub(super) fn leased(keys: Vec<Tensor>, values: Vec<Tensor>, lease: SlotLease) -> KvCache {
        KvCache {
            keys,
            values,
            len: 0,
            capacity: lease.pool.capacity(),
            lease: Some(lease),
        }
    }

    /// The pool and slot this cache lives in, `None` for its own buffers.
    pub(super) fn slot(&self) -> Option<(&Arc<PoolShared>, usize)> {
        self.lease.as_ref().map(|l| (&l.pool, l.slot))
    }

    /// Whether the cache is a slot of a pool.
    pub fn is_pooled(&self) -> bool {
        self.lease.is_some()
    }

    /// Tokens cached so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True before the first token.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Tokens the cache can hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Forget every token (the buffers are reused).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Forget the tokens past the first `len` (no-op when it holds no more):
    /// the next tokens go to position `len`.
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Bytes the cache takes on the device (a pool slot: its share).
    pub fn device_bytes(&self) -> usize {
        self.keys
            .iter()
            .chain(&self.values)
            .map(|t| t.numel() * 4)
            .sum()
    }

    /// An error unless `new_tokens` more tokens fit.
    pub(super) fn check_room(&self, new_tokens: usize) -> Result<()> {
        if self.len + new_tokens > self.capacity {
            return Err(Error::TooLarge {
                op: "decoder",
                message: format!(
                    "context overflow: {} cached + {new_tokens} new tokens exceed the cache's {} positions",
                    self.len, self.capacity
                ),
            });
        }
        Ok(())
    }

    /// Layer `layer`'s whole key and value caches, `[kv_heads, capacity,
    /// head_dim]` each: new tokens go to positions `len..`, attention reads
    /// `0..len + s`.
    pub(super) fn layer(&self, layer: usize) -> (&Tensor, &Tensor) {
        (&self.keys[layer], &self.values[layer])
    }

    /// Mark `s` more tokens as cached (after every layer appended them).
    pub(super) fn advance(&mut self, s: usize) {
        self.len += s;
    }
}
