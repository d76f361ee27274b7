//! Size-class pool of free buffers.
//!
//! Requests are rounded up to a size class so freed buffers can serve later
//! requests of similar size: powers of two up to 1 MiB, then steps of 1/8 of the
//! next power of two (at most 12.5% waste). The pool keeps at most `max_bytes`
//! of free buffers; beyond that, freed buffers are released to the driver.

use std::collections::HashMap;

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

/// Free buffers grouped by capacity.
#[derive(Debug)]
pub struct SizeClassPool<P> {
    free: HashMap<u64, Vec<P>>,
    pooled_bytes: u64,
    max_bytes: u64,
}

impl<P> SizeClassPool<P> {
    /// An empty pool that keeps at most `max_bytes` of free buffers.
    pub fn new(max_bytes: u64) -> Self {
        SizeClassPool {
            free: HashMap::new(),
            pooled_bytes: 0,
            max_bytes,
        }
    }

    /// Take a free buffer of exactly `capacity`, if any.
    pub fn take(&mut self, capacity: u64) -> Option<P> {
        let list = self.free.get_mut(&capacity)?;
        let p = list.pop()?;
        self.pooled_bytes -= capacity;
        Some(p)
    }

    /// Return a buffer to the pool. When the pool is full it is handed back
    /// instead, for the caller to release.
    pub fn put(&mut self, capacity: u64, payload: P) -> Option<P> {
        if self.pooled_bytes + capacity > self.max_bytes {
            return Some(payload);
        }
        self.pooled_bytes += capacity;
        self.free.entry(capacity).or_default().push(payload);
        None
    }

    /// Bytes currently held free.
    pub fn pooled_bytes(&self) -> u64 {
        self.pooled_bytes
    }

    /// Release everything.
    pub fn clear(&mut self) {
        self.free.clear();
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
    fn pool_reuses_and_respects_cap() {
        let mut pool = SizeClassPool::new(1024);
        assert_eq!(pool.put(512, "a"), None);
        assert_eq!(pool.put(512, "b"), None);
        assert_eq!(pool.put(512, "c"), Some("c")); // over the cap: handed back
        assert_eq!(pool.pooled_bytes(), 1024);
        assert_eq!(pool.take(256), None);
        assert!(pool.take(512).is_some());
        assert_eq!(pool.pooled_bytes(), 512);
    }
}
