//! Each op on the host: read the inputs, run the op's reference, write the
//! output. Called by the ops after their checks (see the module rules).

use super::memory::{read_f32, read_raw, read_u32, write_f32, write_raw, write_u32};
use crate::error::Result;
use crate::reference;
use crate::tensor::Tensor;
use tessera_kernels::{BinaryOp, DType, NormKind, ReduceOp, UnaryOp};

/// `unary(x)` (`Some`) or `x * scale + bias` (`None`) into `out`.
pub(crate) fn unary(
    op: Option<UnaryOp>,
    x: &Tensor,
    scale: f32,
    bias: f32,
    out: &Tensor,
) -> Result<()> {
    let xv = read_f32(x)?;
    let y = match op {
        Some(op) => reference::unary(op, &xv),
        None => reference::affine(&xv, scale, bias),
    };
    write_f32(out, &y)
}

/// `op(a, b)` broadcast to `out`'s shape.
pub(crate) fn binary(op: BinaryOp, a: &Tensor, b: &Tensor, out: &Tensor) -> Result<()> {
    let (av, bv) = (read_f32(a)?, read_f32(b)?);
    let (y, _) = reference::binary(op, &av, a.shape(), &bv, b.shape());
    write_f32(out, &y)
}

/// `program(inputs)`, all broadcast to `out`'s shape.
pub(crate) fn fused_map(
    program: &tessera_kernels::FusedProgram,
    inputs: &[&Tensor],
    out: &Tensor,
) -> Result<()> {
    let values = inputs
        .iter()
        .map(|t| read_f32(t))
        .collect::<Result<Vec<_>>>()?;
    let pairs: Vec<(&[f32], &[usize])> = values
        .iter()
        .zip(inputs)
        .map(|(v, t)| (v.as_slice(), t.shape()))
        .collect();
    let (y, _) = reference::fused_map(program, &pairs);
    write_f32(out, &y)
}

/// `cond != 0 ? a : b`, all three broadcast to `out`'s shape.
pub(crate) fn where_select(cond: &Tensor, a: &Tensor, b: &Tensor, out: &Tensor) -> Result<()> {
    let (cv, av, bv) = (read_u32(cond)?, read_f32(a)?, read_f32(b)?);
    let (y, _) = reference::where_select(&cv, cond.shape(), &av, a.shape(), &bv, b.shape());
    write_f32(out, &y)
}

/// The elements of `src` into the view `dst` (same shape and dtype), exactly.
pub(crate) fn copy(src: &Tensor, dst: &Tensor) -> Result<()> {
    let raw = read_raw(src)?;
    write_raw(dst, &raw)
}

/// `x` converted to `out`'s dtype.
pub(crate) fn cast(x: &Tensor, out: &Tensor) -> Result<()> {
    if !x.dtype().is_float() && !out.dtype().is_float() {
        // i32 <-> u32 keeps the bits, as WGSL's conversion does.
        return write_u32(out, &read_u32(x)?);
    }
    write_f32(out, &read_f32(x)?)
}

/// Rotary embedding of `x` `[rows, heads, head_dim]` from position `pos0`.
pub(crate) fn rope(
    x: &Tensor,
    tables: (&Tensor, &Tensor),
    pos0: usize,
    scale: f32,
    out: &Tensor,
) -> Result<()> {
    let (heads, head_dim) = (x.shape()[1], x.shape()[2]);
    let (cos, sin) = (read_f32(tables.0)?, read_f32(tables.1)?);
    let y = reference::rope(&read_f32(x)?, heads, head_dim, &cos, &sin, pos0, scale);
    write_f32(out, &y)
}

/// The tensors of one [`qkv_rope`] call.
pub(crate) struct QkvRopeTensors<'a> {
    /// The fused projection `[rows, width]`.
    pub x: &'a Tensor,
    /// Its bias `[width]`.
    pub bias: Option<&'a Tensor>,
    /// Cosine and sine tables.
    pub tables: (&'a Tensor, &'a Tensor),
    /// The key and value caches, updated in place.
    pub caches: (&'a Tensor, &'a Tensor),
    /// The queries' output.
    pub q: &'a Tensor,
}

/// Bias, rope and the grouped-query layout of a fused q/k/v projection; the
/// keys and values go into the caches.
pub(crate) fn qkv_rope(dims: reference::QkvRopeDims, t: QkvRopeTensors<'_>) -> Result<()> {
    let x = read_f32(t.x)?;
    let bias = t.bias.map(read_f32).transpose()?;
    let (cos, sin) = (read_f32(t.tables.0)?, read_f32(t.tables.1)?);
    let (mut keys, mut values) = (read_f32(t.caches.0)?, read_f32(t.caches.1)?);
    let q = reference::qkv_rope(
        dims,
        &x,
        bias.as_deref(),
        (&cos, &sin),
        &mut keys,
        &mut values,
    );
    write_f32(t.caches.0, &keys)?;
    write_f32(t.caches.1, &values)?;
    write_f32(t.q, &q)
}

/// Layer or RMS norm over the last axis.
pub(crate) fn norm(
    kind: NormKind,
    x: &Tensor,
    (weight, bias): (Option<&Tensor>, Option<&Tensor>),
    eps: f32,
    out: &Tensor,
) -> Result<()> {
    let w = weight.map(read_f32).transpose()?;
    let b = bias.map(read_f32).transpose()?;
    let y = reference::norm(
        kind,
        &read_f32(x)?,
        x.shape(),
        w.as_deref(),
        b.as_deref(),
        eps,
    );
    write_f32(out, &y)
}

/// Softmax over the last axis of `x + mask` (the mask already broadcast to x).
pub(crate) fn softmax(x: &Tensor, mask: Option<&Tensor>, out: &Tensor) -> Result<()> {
    let m = mask.map(read_f32).transpose()?;
    let y = reference::softmax(
        &read_f32(x)?,
        x.shape(),
        m.as_deref().map(|m| (m, x.shape())),
    );
    write_f32(out, &y)
}

/// A reduction along `axis` (argmax gives u32 indices).
pub(crate) fn reduce(op: ReduceOp, x: &Tensor, axis: usize, out: &Tensor) -> Result<()> {
    let xv = read_f32(x)?;
    if op == ReduceOp::ArgMax {
        return write_u32(out, &reference::argmax(&xv, x.shape(), axis));
    }
    write_f32(out, &reference::reduce(op, &xv, x.shape(), axis))
}

/// Rows of the `[rows, cols]` table at `ids` (already checked in range).
pub(crate) fn gather_rows(table: &Tensor, ids: &Tensor, out: &Tensor) -> Result<()> {
    let cols = table.shape()[1];
    let raw = read_raw(table)?;
    let size = table.dtype().size_in_bytes() * cols;
    let mut rows = Vec::with_capacity(ids.numel() * size);
    for id in read_u32(ids)? {
        rows.extend_from_slice(&raw[id as usize * size..][..size]);
    }
    write_raw(out, &rows)
}

/// `a @ b` with numpy batch broadcasting into `out`.
pub(crate) fn matmul(a: &Tensor, b: &Tensor, out: &Tensor) -> Result<()> {
    let (av, bv) = (read_f32(a)?, read_f32(b)?);
    let (y, _) = reference::matmul(&av, a.shape(), &bv, b.shape(), false, false);
    write_f32(out, &y)
}

/// `x [.., k] · wᵀ` for a dense f32 `w` `[n, k]`, plus `residual`.
pub(crate) fn matmul_t(
    x: &Tensor,
    w: &[f32],
    n: usize,
    residual: Option<&Tensor>,
    out: &Tensor,
) -> Result<()> {
    let k = x.shape().last().copied().unwrap_or(0);
    let rows = x.numel().checked_div(k).unwrap_or(0);
    let (mut y, _) = reference::matmul(&read_f32(x)?, &[rows, k], w, &[n, k], false, true);
    if let Some(r) = residual {
        let rv = read_f32(r)?;
        // Round the product to the output's dtype first, as a separate add would.
        for (v, r) in y.iter_mut().zip(rv) {
            *v = (round_to(out.dtype(), *v) as f64 + r as f64) as f32;
        }
    }
    write_f32(out, &y)
}

fn round_to(dtype: DType, v: f32) -> f32 {
    match dtype {
        DType::F16 => half::f16::from_f32(v).to_f32(),
        _ => v,
    }
}

/// Causal attention of the queries `q` over the caches.
pub(crate) fn cached_attention(
    q: &Tensor,
    (keys, values): (&Tensor, &Tensor),
    dims: reference::AttentionDims,
    out: &Tensor,
) -> Result<()> {
    let (kv, vv) = (read_f32(keys)?, read_f32(values)?);
    let y = reference::cached_attention(&read_f32(q)?, &kv, &vv, dims);
    write_f32(out, &y)
}

/// [`qkv_rope`] for a decode batch: each row at its table position, into its
/// table slot of the pools (`t.caches`); the queries `[rows, heads, head_dim]`.
pub(crate) fn slotted_qkv_rope(
    dims: reference::SlottedDims,
    table: &[(usize, usize)],
    q_scale: f32,
    t: QkvRopeTensors<'_>,
) -> Result<()> {
    let x = read_f32(t.x)?;
    let bias = t.bias.map(read_f32).transpose()?;
    let (cos, sin) = (read_f32(t.tables.0)?, read_f32(t.tables.1)?);
    let (mut keys, mut values) = (read_f32(t.caches.0)?, read_f32(t.caches.1)?);
    let q = reference::slotted_qkv_rope(
        dims,
        &x,
        bias.as_deref(),
        (&cos, &sin),
        table,
        q_scale,
        (&mut keys, &mut values),
    );
    write_f32(t.caches.0, &keys)?;
    write_f32(t.caches.1, &values)?;
    write_f32(t.q, &q)
}

/// Decode attention of a batch, each row over its table slot of the pools.
pub(crate) fn slotted_attention(
    q: &Tensor,
    (keys, values): (&Tensor, &Tensor),
    table: &[(usize, usize)],
    dims: reference::SlottedDims,
    out: &Tensor,
) -> Result<()> {
    let (kv, vv) = (read_f32(keys)?, read_f32(values)?);
    let y = reference::slotted_attention(&read_f32(q)?, &kv, &vv, table, dims);
    write_f32(out, &y)
}
