//! Conformance cases of rotary embeddings: rope and the fused q/k/v split
//! with rope and cache writes.

use super::{Cases, Tolerance};
use crate::error::Result;
use crate::ops::QkvRope;
use crate::reference::{self, QkvRopeDims};
use crate::tensor::Tensor;

/// Random angle tables `[positions, half]`, f32.
fn tables(
    c: &mut Cases,
    positions: usize,
    half: usize,
) -> Result<(Tensor, Tensor, Vec<f32>, Vec<f32>)> {
    let angles: Vec<f32> = (0..positions * half)
        .map(|i| (i / half) as f32 * (0.5 + c.ids(1, 100)[0] as f32 / 200.0))
        .collect();
    let cos: Vec<f32> = angles.iter().map(|a| a.cos()).collect();
    let sin: Vec<f32> = angles.iter().map(|a| a.sin()).collect();
    let shape = [positions, half];
    let (ct, st) = (
        Tensor::from_slice(c.device(), &cos, &shape)?,
        Tensor::from_slice(c.device(), &sin, &shape)?,
    );
    Ok((ct, st, cos, sin))
}

/// Rotary embedding of `[rows, heads, head_dim]` from a few start positions.
pub(crate) fn rope(c: &mut Cases) -> Result<()> {
    for (rows, heads, d, pos0) in [(1, 1, 2, 0), (3, 5, 14, 2), (7, 2, 64, 9)] {
        let (cos, sin, cv, sv) = tables(c, pos0 + rows + 3, d / 2)?;
        let (x, xv) = c.input(&[rows, heads, d], -2.0, 2.0)?;
        let want = reference::rope(&xv, heads, d, &cv, &sv, pos0, 0.7);
        c.check(
            &format!("rope [{rows}, {heads}, {d}] from {pos0}"),
            &x.rope(&cos, &sin, pos0, 0.7)?,
            &want,
            Tolerance::F32_TRANSCENDENTAL,
        )?;
    }
    Ok(())
}

/// The fused q/k/v split: queries returned, keys and values in the caches.
pub(crate) fn qkv_rope(c: &mut Cases) -> Result<()> {
    for (rows, heads, kv_heads, d, pos0, bias) in [(1, 2, 1, 4, 0, false), (5, 6, 2, 10, 3, true)] {
        let capacity = pos0 + rows + 2;
        let width = (heads + 2 * kv_heads) * d;
        let (cos, sin, cv, sv) = tables(c, capacity, d / 2)?;
        let (x, xv) = c.input(&[rows, width], -2.0, 2.0)?;
        let (b, bv) = c.input(&[width], -0.5, 0.5)?;
        let cache_shape = [kv_heads, capacity, d];
        let (keys, mut kv) = c.input(&cache_shape, -1.0, 1.0)?;
        let (values, mut vv) = c.input(&cache_shape, -1.0, 1.0)?;
        let q_scale = 1.0 / (d as f32).sqrt();
        let spec = QkvRope {
            heads,
            kv_heads,
            head_dim: d,
            bias: bias.then_some(&b),
            cos: &cos,
            sin: &sin,
            pos0,
            q_scale,
        };
        let q = x.qkv_rope(&spec, &keys, &values)?;
        let dims = QkvRopeDims {
            rows,
            heads,
            kv_heads,
            head_dim: d,
            pos0,
            capacity,
            q_scale,
        };
        let want_q = reference::qkv_rope(
            dims,
            &xv,
            bias.then_some(&bv[..]),
            (&cv, &sv),
            &mut kv,
            &mut vv,
        );
        let what = format!("qkv_rope {rows} rows, {heads}/{kv_heads} heads of {d} at {pos0}");
        c.check(
            &format!("{what}: queries"),
            &q,
            &want_q,
            Tolerance::F32_TRANSCENDENTAL,
        )?;
        c.check(
            &format!("{what}: keys"),
            &keys,
            &kv,
            Tolerance::F32_TRANSCENDENTAL,
        )?;
        c.check(
            &format!("{what}: values"),
            &values,
            &vv,
            Tolerance::F32_EXACTISH,
        )?;
    }
    Ok(())
}
