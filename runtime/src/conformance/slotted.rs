//! Conformance cases of the decode-batch ops over a slotted key/value pool:
//! the batched q/k/v split with rope and slot writes, and the batched
//! attention. Whole pools are compared, so a row writing outside its own
//! slot and position fails.

use super::{Cases, Tolerance};
use crate::error::Result;
use crate::ops::{QkvRope, SlotTable};
use crate::reference::{self, SlottedDims};
use crate::tensor::Tensor;
use tessera_kernels::DType;

/// (heads, kv_heads, head_dim, slots, capacity, rows as (slot, position)).
type Case = (usize, usize, usize, usize, usize, &'static [(usize, usize)]);

const CASES: [Case; 2] = [
    (2, 1, 4, 2, 3, &[(1, 2)]),
    (6, 2, 10, 4, 9, &[(2, 5), (0, 0), (3, 8)]),
];

/// Random angle tables `[positions, half]`, f32, and their values.
fn tables(c: &mut Cases, positions: usize, half: usize) -> Result<[(Tensor, Vec<f32>); 2]> {
    let step = 0.3 + c.values(1, 0.0, 0.5)[0];
    let angles: Vec<f32> = (0..positions * half)
        .map(|i| (i / half) as f32 * step / (1 + i % half) as f32)
        .collect();
    let upload = |v: Vec<f32>| -> Result<(Tensor, Vec<f32>)> {
        let t = Tensor::from_f32(c.device(), &v, &[positions, half], DType::F32)?;
        Ok((t, v))
    };
    Ok([
        upload(angles.iter().map(|a| a.cos()).collect())?,
        upload(angles.iter().map(|a| a.sin()).collect())?,
    ])
}

/// The batched q/k/v split: queries returned, keys and values in their slots.
pub(crate) fn slotted_qkv_rope(c: &mut Cases) -> Result<()> {
    for (heads, kv_heads, d, slots, capacity, rows) in CASES {
        let dims = SlottedDims {
            heads,
            kv_heads,
            head_dim: d,
            slots,
            capacity,
        };
        let width = (heads + 2 * kv_heads) * d;
        let [(cos, cv), (sin, sv)] = tables(c, capacity, d / 2)?;
        let (x, xv) = c.input(&[rows.len(), width], -2.0, 2.0)?;
        let (b, bv) = c.input(&[width], -0.5, 0.5)?;
        let pool = [slots, kv_heads, capacity, d];
        let (keys, mut kv) = c.input(&pool, -1.0, 1.0)?;
        let (values, mut vv) = c.input(&pool, -1.0, 1.0)?;
        let table = SlotTable::new(c.device(), rows)?;
        let q_scale = 1.0 / (d as f32).sqrt();
        let spec = QkvRope {
            heads,
            kv_heads,
            head_dim: d,
            bias: Some(&b),
            cos: &cos,
            sin: &sin,
            pos0: 0,
            q_scale,
        };
        let q = x.slotted_qkv_rope(&spec, &table, &keys, &values)?;
        let want_q = reference::slotted_qkv_rope(
            dims,
            &xv,
            Some(&bv),
            (&cv, &sv),
            rows,
            q_scale,
            (&mut kv, &mut vv),
        );
        let what = format!("slotted_qkv_rope {rows:?}, {heads}/{kv_heads} heads of {d}");
        let tol = Tolerance::F32_TRANSCENDENTAL;
        c.check(&format!("{what}: queries"), &q, &want_q, tol)?;
        c.check(&format!("{what}: key pool"), &keys, &kv, tol)?;
        c.check(&format!("{what}: value pool"), &values, &vv, tol)?;
    }
    Ok(())
}

/// The batched attention, each row over its slot up to its position.
pub(crate) fn slotted_attention(c: &mut Cases) -> Result<()> {
    for (heads, kv_heads, d, slots, capacity, rows) in CASES {
        let dims = SlottedDims {
            heads,
            kv_heads,
            head_dim: d,
            slots,
            capacity,
        };
        let (q, qv) = c.input(&[rows.len(), heads, d], -0.5, 0.5)?;
        let pool = [slots, kv_heads, capacity, d];
        let (keys, kv) = c.input(&pool, -1.0, 1.0)?;
        let (values, vv) = c.input(&pool, -1.0, 1.0)?;
        let table = SlotTable::new(c.device(), rows)?;
        let want = reference::slotted_attention(&qv, &kv, &vv, rows, dims);
        let tol = match c.dtype() {
            DType::F16 => Tolerance::F16,
            _ => Tolerance::F32_TRANSCENDENTAL,
        };
        let what = format!("slotted_attention {rows:?}, {heads}/{kv_heads} heads of {d}");
        c.check(
            &what,
            &q.slotted_attention(&table, &keys, &values)?,
            &want,
            tol,
        )?;
    }
    Ok(())
}
