//! Causal attention of new tokens over a key/value cache, the oracle of
//! `Tensor::cached_attention`.

/// The sizes of one [`cached_attention`] call.
#[derive(Clone, Copy, Debug)]
pub struct AttentionDims {
    /// Key/value heads.
    pub kv_heads: usize,
    /// Query rows per key/value head (`group * s`).
    pub rows: usize,
    /// Values per head.
    pub head_dim: usize,
    /// Positions each cache holds.
    pub capacity: usize,
    /// Tokens already in the cache before the new ones.
    pub past: usize,
    /// New tokens (query row `r` is token `r % s`).
    pub s: usize,
}

/// `[kv, rows, d]` attention of the (already scaled) queries `q` over the
/// first `past + s` rows of the `[kv, capacity, d]` caches, query row `r`
/// seeing keys `0 ..= past + r % s`: softmax of the dot products, then the
/// weighted sum of values, in f64.
///
/// # Panics
/// If a slice is shorter than its dims say.
pub fn cached_attention(q: &[f32], keys: &[f32], values: &[f32], dims: AttentionDims) -> Vec<f32> {
    let AttentionDims {
        kv_heads,
        rows,
        head_dim: d,
        capacity,
        past,
        s,
    } = dims;
    let mut out = vec![0.0f32; kv_heads * rows * d];
    for kv in 0..kv_heads {
        for row in 0..rows {
            let visible = past + row % s + 1;
            let qr = &q[(kv * rows + row) * d..][..d];
            let scores: Vec<f64> = (0..visible)
                .map(|j| {
                    let k = &keys[(kv * capacity + j) * d..][..d];
                    qr.iter().zip(k).map(|(&a, &b)| a as f64 * b as f64).sum()
                })
                .collect();
            let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let weights: Vec<f64> = scores.iter().map(|v| (v - max).exp()).collect();
            let total: f64 = weights.iter().sum();
            for i in 0..d {
                let acc: f64 = (0..visible)
                    .map(|j| weights[j] * values[(kv * capacity + j) * d + i] as f64)
                    .sum();
                out[(kv * rows + row) * d + i] = (acc / total) as f32;
            }
        }
    }
    out
}
