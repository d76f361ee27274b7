//! A slotted key/value pool shared by a decode batch: per layer one keys and
//! one values tensor `[slots, kv_heads, capacity, head_dim]`, each sequence
//! owning a slot while it lives. A slot is handed out as a [`KvCache`] whose
//! per-layer caches are windows of the pool (so the single-sequence forward
//! pass runs on it unchanged) and goes back to the pool when that cache is
//! dropped. [`Decoder::forward_batch`] runs a batch of slots of one pool with
//! one rope/cache-write and one attention dispatch per layer.
//!
//! Memory: the pool is allocated whole, `slots × capacity` positions, when it
//! is made; [`KvPool::device_bytes`] says how much.

use super::config::DecoderConfig;
use super::decoder::Decoder;
use super::kv_cache::KvCache;
use crate::error::{Error, Result};
use crate::tensor::{binding_alignment, binding_limit, Tensor};
use std::sync::{Arc, Mutex};
use tessera_kernels::DType;

const OP: &str = "kv_pool";

/// The pool's tensors and its free slots, shared by the pool and the caches
/// leased from it.
#[derive(Debug)]
pub(super) struct PoolShared {
    /// Per layer `[slots, kv_heads, padded capacity, head_dim]`.
    keys: Vec<Tensor>,
    values: Vec<Tensor>,
    /// Positions a slot's cache may hold (at most the padded capacity).
    capacity: usize,
    free: Mutex<Vec<usize>>,
}

impl PoolShared {
    /// Layer `layer`'s whole key and value pools.
    pub(super) fn layer(&self, layer: usize) -> (&Tensor, &Tensor) {
        (&self.keys[layer], &self.values[layer])
    }

    /// Positions a slot's cache may hold.
    pub(super) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether a kernel can bind every layer's pool whole (the batched path).
    pub(super) fn fits_binding(&self) -> bool {
        self.keys
            .iter()
            .chain(&self.values)
            .all(Tensor::fits_binding)
    }
}

/// A slot of a pool held by one [`KvCache`]; dropping it frees the slot.
#[derive(Debug)]
pub(super) struct SlotLease {
    pub(super) pool: Arc<PoolShared>,
    pub(super) slot: usize,
}

impl Drop for SlotLease {
    fn drop(&mut self) {
        // A poisoned lock only means another lease panicked mid-push.
        let mut free = self.pool.free.lock().unwrap_or_else(|e| e.into_inner());
        free.push(self.slot);
    }
}

/// Key/value caches of up to `slots` sequences of `capacity` positions each,
/// in one tensor per layer and kind.
#[derive(Clone, Debug)]
pub struct KvPool {
    shared: Arc<PoolShared>,
}

/// Positions per slot after padding `capacity` so that every slot starts at
/// a binding offset (`align` bytes) of the pool: a slot's window then starts
/// at its element 0, as the single-sequence kernels index caches.
fn padded_capacity(capacity: usize, position_elements: usize, align: usize) -> usize {
    let align_elements = (align / 4).max(1);
    let (mut a, mut b) = (align_elements, position_elements.max(1));
    while b != 0 {
        (a, b) = (b, a % b);
    }
    capacity.next_multiple_of(align_elements / a)
}

impl KvPool {
    /// A pool of `slots` sequences of up to `capacity` positions each (at
    /// most the model's context), allocated now. Errors: 0 slots, a capacity
    /// of 0 or past the model's context, one slot larger than a storage
    /// binding, the device's allocation failing.
    pub fn new(decoder: &Decoder, slots: usize, capacity: usize) -> Result<KvPool> {
        let config: &DecoderConfig = &decoder.config;
        let device = decoder.device();
        if slots == 0 || capacity == 0 || capacity > config.max_position_embeddings {
            return Err(Error::TooLarge {
                op: OP,
                message: format!(
                    "{slots} slots of {capacity} positions: need at least one slot of \
                     1..={} positions (the model's context)",
                    config.max_position_embeddings
                ),
            });
        }
        let (kv_heads, head_dim) = (config.num_kv_heads, config.head_dim);
        let align = binding_alignment(device) as usize;
        let padded = padded_capacity(capacity, kv_heads * head_dim, align);
        let slot_bytes = (kv_heads * padded * head_dim * 4) as u64;
        if slot_bytes > binding_limit(device) {
            return Err(Error::TooLarge {
                op: OP,
                message: format!(
                    "one slot of {capacity} positions takes {slot_bytes} bytes per layer; \
                     the device binds at most {}",
                    binding_limit(device)
                ),
            });
        }
        let shape = [slots, kv_heads, padded, head_dim];
        let mut keys = Vec::with_capacity(config.num_layers);
        let mut values = Vec::with_capacity(config.num_layers);
        for _ in 0..config.num_layers {
            keys.push(Tensor::uninit(device, DType::F32, &shape, OP)?);
            values.push(Tensor::uninit(device, DType::F32, &shape, OP)?);
        }
        Ok(KvPool {
            shared: Arc::new(PoolShared {
                keys,
                values,
                capacity,
                // Popped from the back: slot 0 first.
                free: Mutex::new((0..slots).rev().collect()),
            }),
        })
    }

    /// Sequences the pool holds.
    pub fn slots(&self) -> usize {
        self.shared.keys.first().map_or(0, |k| k.shape()[0])
    }

    /// Positions each slot holds.
    pub fn capacity(&self) -> usize {
        self.shared.capacity
    }

    /// Slots not held by a cache.
    pub fn free_slots(&self) -> usize {
        self.lock_free().len()
    }

    /// Bytes the pool takes on the device (all slots, every layer).
    pub fn device_bytes(&self) -> usize {
        let shared = &self.shared;
        shared
            .keys
            .iter()
            .chain(&shared.values)
            .map(|t| t.numel() * 4)
            .sum()
    }

    /// A free slot as an empty [`KvCache`] of the pool's capacity (`None`
    /// when every slot is held). The slot is free again when the cache is
    /// dropped.
    pub fn take_slot(&self) -> Result<Option<KvCache>> {
        let Some(slot) = self.lock_free().pop() else {
            return Ok(None);
        };
        let lease = SlotLease {
            pool: self.shared.clone(),
            slot,
        };
        let view = |pool: &Tensor| -> Result<Tensor> {
            let shape = &pool.shape()[1..];
            pool.narrow(0, slot..slot + 1)?.reshape(shape)?.window(OP)
        };
        let keys = self.shared.keys.iter().map(view).collect::<Result<_>>()?;
        let values = self.shared.values.iter().map(view).collect::<Result<_>>()?;
        Ok(Some(KvCache::leased(keys, values, lease)))
    }

    fn lock_free(&self) -> std::sync::MutexGuard<'_, Vec<usize>> {
        self.shared.free.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::padded_capacity;

    #[test]
    fn slots_start_at_binding_offsets() {
        // 2 kv heads of 64 floats: a position is 512 bytes, any capacity.
        assert_eq!(padded_capacity(13, 128, 256), 13);
        // 1 head of 6 floats (24 bytes): 32 positions make 768 = 3 x 256.
        assert_eq!(padded_capacity(5, 6, 256), 32);
        assert_eq!(padded_capacity(33, 6, 256), 64);
        for (capacity, elements, align) in [(7, 10, 256), (100, 3, 64), (1, 1, 4)] {
            let padded = padded_capacity(capacity, elements, align);
            assert!(padded >= capacity && padded < capacity + align);
            assert_eq!(
                padded * elements * 4 % align,
                0,
                "{capacity} {elements} {align}"
            );
        }
    }
}
