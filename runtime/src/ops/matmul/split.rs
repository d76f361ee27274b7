//! Products whose operands or result exceed one storage binding, split into
//! products that fit: a dense weight over row blocks of it (windows of its
//! buffer, results side by side), a dense product over row blocks of A or of
//! the result (stacked), or over column blocks of B (side by side), or, for
//! a B laid out so that no column block fits, over blocks of the inner
//! dimension (partial products summed). Each block is a plain product, so it
//! takes the planned kernel.

use super::weight::Weight;
use crate::error::{Result, ShapeError};
use crate::ops::concat;
use crate::ops::layout::copy_into;
use crate::tensor::{binding_limit, Tensor};

/// Whether a dense product `a @ b` with a result of `out_bytes` must split:
/// the cheap test on the unsplit path.
pub(super) fn dense_needs_split(a: &Tensor, b: &Tensor, out_bytes: usize) -> bool {
    !(a.fits_binding() && b.fits_binding() && out_bytes as u64 <= binding_limit(a.device()))
}

/// A dense `[out, in]` weight past one binding as row blocks, each a window
/// of it. Errors: a weight that is not a matrix (shape error), a row wider
/// than a binding (`TooLarge`).
pub(super) fn weight_row_blocks(w: &Tensor) -> Result<Weight> {
    if w.rank() != 2 {
        let msg = "a dense weight must be [out, in]";
        return Err(ShapeError::new("matmul_t", msg, &[w.shape()]).into());
    }
    let blocks = w.row_windows("matmul_t")?;
    Ok(Weight::Rows(
        blocks.into_iter().map(Weight::Dense).collect(),
    ))
}

/// `a @ b` for operands already checked, when one of them or the result is
/// past one binding. A of rank above 2 against a matrix B is folded into
/// rows; other batched products are left whole (the launch then reports
/// `TooLarge`).
pub(super) fn split_matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let op = "matmul";
    if b.rank() != 2 {
        return split_batch(a, b);
    }
    if a.rank() > 2 {
        let k = a.shape()[a.rank() - 1];
        let rows = a.numel() / k.max(1);
        let mut shape = a.shape().to_vec();
        *shape.last_mut().expect("rank > 2") = b.shape()[1];
        let flat = a.contiguous()?.reshape(&[rows, k])?;
        return split_matmul(&flat, b)?.reshape(&shape);
    }
    let (m, n) = (a.shape()[0], b.shape()[1]);
    let row_bytes = n.max(1) as u64 * a.dtype().size_in_bytes() as u64;
    let limit = binding_limit(a.device());
    // Row blocks of A small enough for A's window and the result's (fresh
    // tensors, so a block of the result needs no alignment slack).
    let by_out = (limit / row_bytes).max(1) as usize;
    let per = a.rows_per_window(op)?.min(by_out);
    if !a.fits_binding() || (m as u64 * row_bytes > limit && per < m) {
        let parts = (0..m)
            .step_by(per)
            .map(|first| {
                let block = a.narrow(0, first..(first + per).min(m))?.windowed(op)?;
                block.matmul(b)
            })
            .collect::<Result<Vec<_>>>()?;
        let refs: Vec<&Tensor> = parts.iter().collect();
        return concat(&refs, 0);
    }
    if b.fits_binding() {
        // Nothing left to split (one row of the result is past a binding).
        return a.matmul_unsplit(b);
    }
    let bt = b.transpose(0, 1)?;
    if bt.rows_per_window(op).is_ok() {
        // Column blocks of B (rows of Bᵀ), each a window.
        let parts = bt
            .row_windows(op)?
            .iter()
            .map(|block| a.matmul(&block.transpose(0, 1)?))
            .collect::<Result<Vec<_>>>()?;
        let refs: Vec<&Tensor> = parts.iter().collect();
        return concat(&refs, 1);
    }
    // Blocks of the inner dimension: rows of B, the matching columns of A.
    let mut sum: Option<Tensor> = None;
    let mut first = 0;
    for block in b.row_windows(op)? {
        let len = block.shape()[0];
        let part = a.narrow(1, first..first + len)?.matmul(&block)?;
        sum = Some(match sum {
            None => part,
            Some(s) => s.add(&part)?,
        });
        first += len;
    }
    match sum {
        Some(s) => Ok(s),
        None => a.matmul_unsplit(b),
    }
}

/// A batched product (B of rank 3 or more) over blocks of its leading batch
/// dim: A and B broadcast to the result's batch, each block of both bound
/// as windows, each block's product copied into a window of the result.
/// One batch entry past a binding runs alone, one rank lower.
fn split_batch(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let op = "matmul";
    let (ra, rb) = (a.rank(), b.rank());
    let batch =
        crate::tensor::shape::broadcast_shapes(op, &a.shape()[..ra - 2], &b.shape()[..rb - 2])?;
    let full = |t: &Tensor, rows: usize, cols: usize| {
        let mut shape = batch.clone();
        shape.extend([rows, cols]);
        t.broadcast_to(&shape)
    };
    let (m, k, n) = (a.shape()[ra - 2], a.shape()[ra - 1], b.shape()[rb - 1]);
    let (a, b) = (full(a, m, k)?, full(b, k, n)?);
    let mut out_shape = batch.clone();
    out_shape.extend([m, n]);
    let out = Tensor::uninit(a.device(), a.dtype(), &out_shape, op)?;
    if out.numel() == 0 {
        return Ok(out);
    }
    let entries = batch[0];
    let per = [&a, &b, &out]
        .iter()
        .map(|t| t.rows_per_window(op))
        .collect::<Result<Vec<_>>>()
        .map_or(1, |p| p.into_iter().min().unwrap_or(1).max(1));
    for first in (0..entries).step_by(per) {
        let range = first..(first + per).min(entries);
        let (pa, pb) = (a.narrow(0, range.clone())?, b.narrow(0, range.clone())?);
        let product = if per == 1 {
            // One batch entry: the product one rank lower splits itself.
            let mut shape = vec![1];
            shape.extend_from_slice(&out_shape[1..]);
            pa.drop_dim0(0).matmul(&pb.drop_dim0(0))?.reshape(&shape)?
        } else {
            pa.windowed(op)?.matmul(&pb.windowed(op)?)?
        };
        copy_into(op, &product, &out.narrow(0, range)?)?;
    }
    Ok(out)
}
