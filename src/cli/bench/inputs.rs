//! Benchmark inputs: seeded random values uploaded once, in several copies when
//! they are small enough to sit in a cache, so timed runs rotate among them.

use std::sync::Arc;
use tessera::prelude::{DType, Device, Result, Tensor};

/// Bytes below which inputs are replicated for rotation (caches of large GPUs
/// reach tens of MiB; software adapters use the CPU's caches).
const ROTATE_BELOW_BYTES: usize = 256 << 20;

/// Copies of an input set for rotation: 4 when one set is small, else 1.
pub fn rotation_sets(bytes_per_set: usize) -> usize {
    if bytes_per_set < ROTATE_BELOW_BYTES / 4 {
        4
    } else if bytes_per_set < ROTATE_BELOW_BYTES {
        2
    } else {
        1
    }
}

/// Seeded values uniform in [-1, 1).
pub fn random_values(count: usize, seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// A random tensor of `shape` stored as `dtype`.
pub fn random_tensor(
    device: &Arc<dyn Device>,
    shape: &[usize],
    dtype: DType,
    seed: u64,
) -> Result<Tensor> {
    let count = shape.iter().product();
    Tensor::from_f32(device, &random_values(count, seed), shape, dtype)
}

/// Parse `f32` / `f16`.
pub fn parse_dtype(name: &str) -> std::result::Result<DType, String> {
    match name {
        "f32" => Ok(DType::F32),
        "f16" => Ok(DType::F16),
        other => Err(format!("dtype {other:?}: expected f32 or f16")),
    }
}
