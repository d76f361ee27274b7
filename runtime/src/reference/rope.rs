//! Rotary position embedding (half-split layout), the oracle of `Tensor::rope`.

/// `x` is `[rows, heads, head_dim]`; row `r` sits at position `pos0 + r`; `cos`
/// and `sin` are `[positions, head_dim / 2]`. Each pair `(x[i], x[i + half])` is
/// rotated by the position's angle and scaled by `scale`.
pub fn rope(
    x: &[f32],
    heads: usize,
    head_dim: usize,
    cos: &[f32],
    sin: &[f32],
    pos0: usize,
    scale: f32,
) -> Vec<f32> {
    assert!(head_dim.is_multiple_of(2), "head_dim must be even");
    assert!(
        x.len().is_multiple_of(heads * head_dim),
        "x is not [rows, heads, head_dim]"
    );
    let half = head_dim / 2;
    let mut out = vec![0.0f32; x.len()];
    for (v, chunk) in x.chunks(head_dim).enumerate() {
        let pos = pos0 + v / heads;
        for i in 0..half {
            let (c, s) = (cos[pos * half + i] as f64, sin[pos * half + i] as f64);
            let (a, b) = (chunk[i] as f64, chunk[i + half] as f64);
            out[v * head_dim + i] = ((a * c - b * s) * scale as f64) as f32;
            out[v * head_dim + i + half] = ((b * c + a * s) * scale as f64) as f32;
        }
    }
    out
}

/// The sizes of one [`qkv_rope`] call.
#[derive(Clone, Copy, Debug)]
pub struct QkvRopeDims {
    /// Tokens (rows of the fused projection).
    pub rows: usize,
    /// Query heads (a multiple of `kv_heads`).
    pub heads: usize,
    /// Key/value heads.
    pub kv_heads: usize,
    /// Values per head (even).
    pub head_dim: usize,
    /// Position of the first token.
    pub pos0: usize,
    /// Positions each cache holds.
    pub capacity: usize,
    /// Factor applied to the rotated queries.
    pub q_scale: f32,
}

/// The oracle of `Tensor::qkv_rope`: `x` is the fused projection `[rows,
/// (heads + 2 kv_heads) * head_dim]` (q heads, k heads, v heads), plus `bias`
/// per column. Returns the rotated, scaled queries as `[kv_heads, group *
/// rows, head_dim]` (head `h` of token `r` at row `h * rows + r`, grouped by
/// key/value head) and writes the rotated keys and the values into rows `pos0
/// ..` of the `[kv_heads, capacity, head_dim]` caches `keys` and `values`.
///
/// # Panics
/// If a slice is shorter than its dims say or a position passes the tables.
pub fn qkv_rope(
    dims: QkvRopeDims,
    x: &[f32],
    bias: Option<&[f32]>,
    (cos, sin): (&[f32], &[f32]),
    keys: &mut [f32],
    values: &mut [f32],
) -> Vec<f32> {
    let QkvRopeDims {
        rows,
        heads,
        kv_heads,
        head_dim: d,
        pos0,
        capacity,
        q_scale,
    } = dims;
    let all = heads + 2 * kv_heads;
    let biased: Vec<f32> = (0..rows * all * d)
        .map(|i| (x[i] as f64 + bias.map_or(0.0, |b| b[i % (all * d)] as f64)) as f32)
        .collect();
    let take = |first: usize, count: usize| -> Vec<f32> {
        (0..rows)
            .flat_map(|r| biased[(r * all + first) * d..(r * all + first + count) * d].to_vec())
            .collect()
    };
    let q = rope(&take(0, heads), heads, d, cos, sin, pos0, q_scale);
    let k = rope(&take(heads, kv_heads), kv_heads, d, cos, sin, pos0, 1.0);
    let v = take(heads + kv_heads, kv_heads);
    let mut q_out = vec![0.0; heads * rows * d];
    for r in 0..rows {
        for h in 0..heads {
            let src = (r * heads + h) * d;
            q_out[(h * rows + r) * d..][..d].copy_from_slice(&q[src..src + d]);
        }
    }
    for r in 0..rows {
        for h in 0..kv_heads {
            let dst = (h * capacity + pos0 + r) * d;
            let src = (r * kv_heads + h) * d;
            keys[dst..dst + d].copy_from_slice(&k[src..src + d]);
            values[dst..dst + d].copy_from_slice(&v[src..src + d]);
        }
    }
    q_out
}
