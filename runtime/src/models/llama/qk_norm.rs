//! Qwen3's per-head RMSNorm of the queries and keys, between the fused q/k/v
//! projection and the rotation, built from declared ops (`narrow`,
//! `rms_norm` over each head's row, `concat`).

use crate::error::Result;
use crate::ops::concat;
use crate::tensor::Tensor;

/// The RMSNorm weights of one layer's query and key heads, `[head_dim]` each
/// (shared by all heads).
#[derive(Clone, Debug)]
pub struct QkNorm {
    /// Weight of the query heads' norm.
    pub q: Tensor,
    /// Weight of the key heads' norm.
    pub k: Tensor,
}

impl QkNorm {
    /// `qkv`, a fused projection `[s, (heads + 2 kv_heads) * head_dim]` (q
    /// heads, k heads, v heads), with every q and k head RMS-normalized over
    /// its `head_dim` values and scaled by its weight; v is left as it is.
    pub fn apply(
        &self,
        qkv: &Tensor,
        heads: usize,
        kv_heads: usize,
        head_dim: usize,
        eps: f32,
    ) -> Result<Tensor> {
        let s = qkv.shape()[0];
        let (q_width, kv_width) = (heads * head_dim, kv_heads * head_dim);
        let per_head = |start: usize, n_heads: usize, weight: &Tensor| -> Result<Tensor> {
            qkv.narrow(1, start..start + n_heads * head_dim)?
                .contiguous()?
                .reshape(&[s * n_heads, head_dim])?
                .rms_norm(Some(weight), eps)?
                .reshape(&[s, n_heads * head_dim])
        };
        let q = per_head(0, heads, &self.q)?;
        let k = per_head(q_width, kv_heads, &self.k)?;
        let v = qkv.narrow(1, q_width + kv_width..q_width + 2 * kv_width)?;
        concat(&[&q, &k, &v], 1)
    }
}
