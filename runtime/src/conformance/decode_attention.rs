//! Conformance cases of causal attention over a key/value cache.

use super::{Cases, Tolerance};
use crate::error::Result;
use crate::reference::{self, AttentionDims};
use tessera_kernels::DType;

/// Causal attention of a few new tokens over caches, short and long.
pub(crate) fn cached_attention(c: &mut Cases) -> Result<()> {
    for (kv_heads, group, s, d, past) in [(1, 1, 1, 4, 0), (2, 3, 2, 10, 5), (1, 2, 1, 64, 700)] {
        let capacity = past + s + 3;
        let rows = group * s;
        let (q, qv) = c.input(&[kv_heads, rows, d], -0.5, 0.5)?;
        let (keys, kv) = c.input(&[kv_heads, capacity, d], -1.0, 1.0)?;
        let (values, vv) = c.input(&[kv_heads, capacity, d], -1.0, 1.0)?;
        let dims = AttentionDims {
            kv_heads,
            rows,
            head_dim: d,
            capacity,
            past,
            s,
        };
        let want = reference::cached_attention(&qv, &kv, &vv, dims);
        let tol = match c.dtype() {
            DType::F16 => Tolerance::F16,
            _ => Tolerance::F32_TRANSCENDENTAL,
        };
        let what = format!("attention {kv_heads}x{rows} rows of {d} over {past}+{s}");
        c.check(
            &what,
            &q.cached_attention(&keys, &values, past, s)?,
            &want,
            tol,
        )?;
    }
    Ok(())
}
