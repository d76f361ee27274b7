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
