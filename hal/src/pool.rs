//! Size-class pool of free buffers.
//!
//! Requests are rounded up to a size class so freed buffers can serve later
//! requests of similar size: powers of two up to 1 MiB, then steps of 1/8 of the
//! next power of two (at most 12.5% waste). The pool holds at most its byte
//! budget of free buffers: a buffer freed past it pushes out the oldest free
//! ones (those of sizes no longer in use go first), which the caller releases.
//! A free buffer also goes once [`MAX_IDLE_FREES`] others were freed after it
//! without it being reused, so sizes a workload left behind (a batch of
//! another length) do not sit in the pool up to its budget.

use std::collections::{BTreeMap, HashMap};

/// Smallest capacity handed out, in bytes.
pub const MIN_CLASS: u64 = 256;

/// Round `size` up to its size class.
pub fn size_class(size: u64) -> u64 {
    let size = size.max(MIN_CLASS);
    let pow = size.next_power_of_two();
    if pow <= 1 << 20 {
        return pow;
    }
    let step = pow / 8;
    size.div_ceil(step) * step
}

/// Frees after which an unused free buffer is released: a decoder step or
/// an encoder batch frees a few hundred buffers and reuses its sizes at once.
pub const MAX_IDLE_FREES: u64 = 2048;

/// Environment variable overriding the bytes of free buffers a device's pool
/// holds (a decimal byte count; `0` turns pooling off).
pub const POOL_BYTES_ENV: &str = "TESSERA_POOL_BYTES";

/// The pool budget: [`POOL_BYTES_ENV`] when set to a byte count, else `default`.
pub fn budget_from_env(default: u64) -> u64 {
    match std::env::var(POOL_BYTES_ENV) {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| {
            tracing::warn!("{POOL_BYTES_ENV}={v:?} is not a byte count; using {default}");
            default
        }),
        Err(_) => default,
    }
}

/// Free buffers grouped by capacity, oldest first within a class.
#[derive(Debug)]
pub struct SizeClassPool<P> {
    /// Per capacity: (age stamp, buffer), oldest first.
    free: HashMap<u64, Vec<(u64, P)>>,
    /// Age stamp -> capacity of every free buffer, for oldest-first eviction.
    ages: BTreeMap<u64, u64>,
    next_stamp: u64,
    pooled_bytes: u64,
    max_bytes: u64,
}

impl<P> SizeClassPool<P> {
    /// An empty pool that keeps at most `max_bytes` of free buffers.
    pub fn new(max_bytes: u64) -> Self {
        SizeClassPool {
            free: HashMap::new(),
            ages: BTreeMap::new(),
            next_stamp: 0,
            pooled_bytes: 0,
            max_bytes,
        }
    }

    /// Take the most recently freed buffer of exactly `capacity`, if any.
    pub fn take(&mut self, capacity: u64) -> Option<P> {
        let list = self.free.get_mut(&capacity)?;
        let (stamp, p) = list.pop()?;
        self.ages.remove(&stamp);
        self.pooled_bytes -= capacity;
        Some(p)
    }

    /// Return a buffer to the pool. What no longer fits the budget comes back
    /// for the caller to release: the oldest free buffers, or this one when
    /// it alone exceeds the budget.
    pub fn put(&mut self, capacity: u64, payload: P) -> Vec<P> {
        if capacity > self.max_bytes {
            return vec![payload];
        }
        let mut released = Vec::new();
        let idle_before = self.next_stamp.saturating_sub(MAX_IDLE_FREES);
        while let Some((&stamp, &class)) = self.ages.iter().next() {
            if self.pooled_bytes + capacity <= self.max_bytes && stamp >= idle_before {
                break;
            }
            self.ages.remove(&stamp);
            let list = self.free.get_mut(&class).expect("aged buffers are pooled");
            let (_, oldest) = list.remove(0);
            if list.is_empty() {
                self.free.remove(&class);
            }
            self.pooled_bytes -= class;
            released.push(oldest);
        }
        let stamp = self.next_stamp;
        self.next_stamp += 1;
        self.ages.insert(stamp, capacity);
        self.pooled_bytes += capacity;
        self.free
            .entry(capacity)
            .or_default()
            .push((stamp, payload));
        released
    }

    /// Bytes currently held free.
    pub fn pooled_bytes(&self) -> u64 {
        self.pooled_bytes
    }

    /// The budget: most bytes of free buffers held.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Release everything.
    pub fn clear(&mut self) {
        self.free.clear();
        self.ages.clear();
        self.pooled_bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_cover_request_with_bounded_waste() {
        for size in [
            0u64,
            1,
            255,
            256,
            257,
            4096,
            1 << 20,
            (1 << 20) + 1,
            3_000_001,
            1 << 30,
        ] {
            let c = size_class(size);
            assert!(c >= size && c >= MIN_CLASS, "{size} -> {c}");
            if size > 1 << 20 {
                assert!((c - size) * 8 <= size.next_power_of_two(), "{size} -> {c}");
            }
            assert_eq!(size_class(c), c, "classes are fixed points");
        }
    }

    #[test]
    fn pool_reuses_and_respects_its_budget_oldest_out_first() {
        let mut pool = SizeClassPool::new(1024);
        assert!(pool.put(512, "a").is_empty());
        assert!(pool.put(256, "b").is_empty());
        assert!(pool.put(256, "c").is_empty());
        assert_eq!(pool.pooled_bytes(), 1024);
        // Over the budget: the oldest ("a") makes room.
        assert_eq!(pool.put(512, "d"), vec!["a"]);
        assert_eq!(pool.pooled_bytes(), 1024);
        assert_eq!(pool.take(128), None);
        assert_eq!(pool.take(512), Some("d"));
        // The most recently freed of a class is reused first.
        assert_eq!(pool.take(256), Some("c"));
        assert_eq!(pool.pooled_bytes(), 256);
        // Larger than the whole budget: handed straight back.
        assert_eq!(pool.put(2048, "e"), vec!["e"]);
        // Two old small ones make room for one large.
        assert!(pool.put(256, "f").is_empty());
        assert_eq!(pool.put(1024, "g"), vec!["b", "f"]);
        assert_eq!(pool.pooled_bytes(), 1024);
        pool.clear();
        assert_eq!(pool.pooled_bytes(), 0);
        assert_eq!(pool.take(1024), None);
    }

    #[test]
    fn a_buffer_left_unused_while_many_others_were_freed_is_released() {
        let mut pool = SizeClassPool::new(u64::MAX);
        assert!(pool.put(4096, 0u64).is_empty());
        let mut released = Vec::new();
        // A steady workload: one size freed and reused over and over.
        for i in 1..=MAX_IDLE_FREES {
            released.extend(pool.put(256, i));
            assert_eq!(pool.take(256), Some(i));
        }
        assert!(released.is_empty(), "nothing is idle yet: {released:?}");
        assert_eq!(
            pool.put(256, u64::MAX),
            vec![0],
            "the idle 4096-byte buffer goes"
        );
        assert_eq!(pool.pooled_bytes(), 256);
    }
}
