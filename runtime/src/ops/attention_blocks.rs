//! The split paths of the decoder's attention ops when an operand exceeds
//! one storage binding: the key/value caches by blocks of heads (each block a
//! window of the cache that starts at element 0 of its binding, as the
//! kernels index caches), the fused projection and the queries by blocks of
//! tokens. Each block runs the op unchanged.

use super::layout::concat;
use super::qkv_rope::QkvRope;
use super::row_blocks::stacked_ranges;
use crate::error::{Error, Result};
use crate::tensor::{binding_alignment, Tensor};
use std::ops::Range;

/// Whether both caches fit one binding: the split decision of the cache ops.
pub(super) fn caches_fit(keys: &Tensor, values: &Tensor) -> bool {
    keys.fits_binding() && values.fits_binding()
}

/// Heads `heads` of a `[kv_heads, capacity, head_dim]` cache as a window that
/// starts with them. Errors: a head whose start is not at a binding offset
/// (`TooLarge`: the cache cannot split by head).
fn cache_heads(op: &'static str, cache: &Tensor, heads: Range<usize>) -> Result<Tensor> {
    let head_bytes = (cache.strides()[0] * cache.dtype().size_in_bytes()) as u64;
    if !head_bytes.is_multiple_of(binding_alignment(cache.device())) {
        return Err(Error::TooLarge {
            op,
            message: format!(
                "a {:?} cache head of {head_bytes} bytes does not start at a binding \
                 offset, so the cache cannot split by head",
                cache.shape()
            ),
        });
    }
    cache.narrow(0, heads)?.window(op)
}

/// [`Tensor::cached_attention`] over blocks of key/value heads: the queries
/// `q` (`[kv_heads, group * s, head_dim]`) and both caches cut by head.
pub(super) fn attention_by_heads(
    q: &Tensor,
    (keys, values): (&Tensor, &Tensor),
    past: usize,
    s: usize,
) -> Result<Tensor> {
    let op = "cached_attention";
    let out = (q.shape(), q.dtype());
    stacked_ranges(op, q.device(), &[q, keys, values], out, usize::MAX, |r| {
        let k = cache_heads(op, keys, r.clone())?;
        let v = cache_heads(op, values, r.clone())?;
        q.narrow(0, r)?
            .windowed(op)?
            .cached_attention(&k, &v, past, s)
    })
}

/// [`Tensor::qkv_rope`] of the contiguous projection `x` (`[rows, width]`)
/// when it, the queries or the caches exceed a binding: caches past a binding
/// by blocks of key/value heads (each block's columns of `x` and the bias
/// gathered into a smaller projection), else blocks of tokens (their queries
/// stacked by token, then laid out by head). The cos/sin tables must fit.
pub(super) fn qkv_rope_blocks(
    x: &Tensor,
    spec: &QkvRope<'_>,
    (keys, values): (&Tensor, &Tensor),
) -> Result<Tensor> {
    let op = "qkv_rope";
    let QkvRope {
        heads,
        kv_heads,
        head_dim: d,
        ..
    } = *spec;
    let (rows, group) = (x.shape()[0], heads / kv_heads);
    if !caches_fit(keys, values) {
        let out = ([kv_heads, group * rows, d], x.dtype());
        return stacked_ranges(
            op,
            x.device(),
            &[keys, values],
            (&out.0, out.1),
            usize::MAX,
            |r| {
                // Columns of the q heads, k heads and v heads of block `r`.
                let spans = [
                    r.start * group..r.end * group,
                    heads + r.start..heads + r.end,
                    heads + kv_heads + r.start..heads + kv_heads + r.end,
                ];
                let pick = |t: &Tensor, dim: usize| -> Result<Tensor> {
                    let parts = spans
                        .iter()
                        .map(|h| t.narrow(dim, h.start * d..h.end * d))
                        .collect::<Result<Vec<_>>>()?;
                    concat(&parts.iter().collect::<Vec<_>>(), dim)
                };
                let bias = spec.bias.map(|b| pick(b, 0)).transpose()?;
                let sub = QkvRope {
                    heads: r.len() * group,
                    kv_heads: r.len(),
                    bias: bias.as_ref(),
                    ..*spec
                };
                let k = cache_heads(op, keys, r.clone())?;
                let v = cache_heads(op, values, r)?;
                pick(x, 1)?.qkv_rope(&sub, &k, &v)
            },
        );
    }
    // Blocks of tokens: each block's queries [kv, group * n, d] stacked by
    // token as [n, kv, group, d], then laid out by head.
    let by_token = ([rows, kv_heads, group, d], x.dtype());
    let q = stacked_ranges(
        op,
        x.device(),
        &[x],
        (&by_token.0, by_token.1),
        usize::MAX,
        |r| {
            let n = r.len();
            let sub = QkvRope {
                pos0: spec.pos0 + r.start,
                ..*spec
            };
            let q = x.narrow(0, r)?.windowed(op)?.qkv_rope(&sub, keys, values)?;
            q.reshape(&[kv_heads, group, n, d])?.permute(&[2, 0, 1, 3])
        },
    )?;
    q.permute(&[1, 2, 0, 3])?
        .contiguous()?
        .reshape(&[kv_heads, group * rows, d])
}
