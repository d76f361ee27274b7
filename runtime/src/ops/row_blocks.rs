//! Running an op over row blocks when an operand or its result exceeds one
//! storage binding: the blocks run along dim 0 of the result, each operand
//! with the same dim 0 is cut the same way, and every piece is bound as a
//! window of its buffer ([`Tensor::windowed`]). The op itself runs unchanged
//! on each block, so the unsplit path pays one comparison per operand.

use super::layout::copy_into;
use crate::error::{Error, Result, ShapeError};
use crate::tensor::{binding_limit, Tensor};
use std::ops::Range;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::DType;

/// Whether every tensor fits one binding: the split decision.
pub(crate) fn all_fit(tensors: &[&Tensor]) -> bool {
    tensors.iter().all(|t| t.fits_binding())
}

/// Whether a fresh tensor of `shape` and `dtype` fits one binding.
pub(crate) fn shape_fits(device: &Arc<dyn Device>, shape: &[usize], dtype: DType) -> bool {
    let bytes = shape.iter().product::<usize>() as u64 * dtype.size_in_bytes() as u64;
    bytes <= binding_limit(device)
}

/// `f` over row blocks of `inputs` (cut as [`by_row_blocks`] cuts them),
/// its results stacked into a fresh `shape` tensor of `dtype`: the split
/// path of an op whose result is a function of the matching rows of its
/// inputs. `whole_rows` keeps the last dim whole (row ops: softmax, norms).
pub(crate) fn stacked(
    op: &'static str,
    whole_rows: bool,
    inputs: &[&Tensor],
    shape: &[usize],
    dtype: DType,
    mut f: impl FnMut(&[Tensor]) -> Result<Tensor>,
) -> Result<Tensor> {
    let device = inputs.first().map(|t| t.device().clone());
    let device = device.ok_or_else(|| ShapeError::new(op, "no operands", &[shape]))?;
    let out = Tensor::uninit(&device, dtype, shape, op)?;
    if out.numel() == 0 {
        return Ok(out);
    }
    let mut run = |pieces: &[Tensor], block: &Tensor| copy_into(op, &f(pieces)?, block);
    blocks(op, whole_rows, inputs, &out, &mut run)?;
    Ok(out)
}

/// A fresh `shape` tensor of `dtype` made of blocks along dim 0, block
/// `range` being `f(range)`: the split path of an op whose inputs do not
/// line up with its result row for row (a reduction, a table indexed by
/// position). A block holds at most `most` rows and never more than one
/// binding of the result or of any tensor in `cut` (each with dim 0 equal to
/// the result's, cut the same way); `f` narrows its own inputs. Errors: one
/// row past a binding (`TooLarge`, naming `op`), and whatever `f` returns.
pub(crate) fn stacked_ranges(
    op: &'static str,
    device: &Arc<dyn Device>,
    cut: &[&Tensor],
    (shape, dtype): (&[usize], DType),
    most: usize,
    mut f: impl FnMut(Range<usize>) -> Result<Tensor>,
) -> Result<Tensor> {
    let out = Tensor::uninit(device, dtype, shape, op)?;
    if out.numel() == 0 {
        return Ok(out);
    }
    let rows = shape[0];
    let mut per = out.rows_per_window(op)?.min(most);
    for t in cut {
        debug_assert_eq!(t.shape().first(), Some(&rows));
        per = per.min(t.rows_per_window(op)?);
    }
    if per == 0 {
        return Err(Error::TooLarge {
            op,
            message: format!("one row of {shape:?} exceeds a storage binding"),
        });
    }
    for first in (0..rows).step_by(per) {
        let range = first..(first + per).min(rows);
        let block = f(range.clone())?;
        copy_into(op, &block, &out.narrow(0, range)?.windowed(op)?)?;
    }
    Ok(out)
}

/// Run `run(inputs, out)` over blocks of rows along dim 0 of `out`. An input
/// whose dim 0 equals `out`'s (broadcast along it or not) is cut with it; any
/// other input is passed whole, windowed. When one row is wider than a
/// binding, each row runs alone as a tensor of one rank less (rank 2 and up).
/// Errors: a piece that still exceeds a binding (`TooLarge`, naming `op`),
/// and whatever `run` returns.
pub(crate) fn by_row_blocks(
    op: &'static str,
    inputs: &[&Tensor],
    out: &Tensor,
    mut run: impl FnMut(&[Tensor], &Tensor) -> Result<()>,
) -> Result<()> {
    blocks(op, false, inputs, out, &mut run)
}

/// The block-by-block run that [`by_row_blocks`] describes; `whole_rows`
/// never cuts the last dim (a rank-1 result is then one row: `TooLarge`).
fn blocks(
    op: &'static str,
    whole_rows: bool,
    inputs: &[&Tensor],
    out: &Tensor,
    run: &mut dyn FnMut(&[Tensor], &Tensor) -> Result<()>,
) -> Result<()> {
    if whole_rows && out.rank() < 2 {
        return Err(Error::TooLarge {
            op,
            message: format!("one row of {:?} exceeds a storage binding", out.shape()),
        });
    }
    let rows = out.shape().first().copied().unwrap_or(1);
    let cut = |t: &Tensor| t.rank() == out.rank() && t.shape()[0] == rows;
    let mut per = out.rows_per_window(op);
    for t in inputs.iter().filter(|t| cut(t)) {
        per = match (per, t.rows_per_window(op)) {
            (Ok(a), Ok(b)) => Ok(a.min(b)),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
    }
    let per = match per {
        Ok(per) => per,
        Err(_) if out.rank() > 1 + usize::from(whole_rows) => {
            return by_single_rows(op, whole_rows, inputs, out, run)
        }
        Err(e) => return Err(e),
    };
    for first in (0..rows).step_by(per.max(1)) {
        let range = first..(first + per).min(rows);
        let pieces = inputs
            .iter()
            .map(|t| match cut(t) {
                true => t.narrow(0, range.clone())?.windowed(op),
                false => t.windowed(op),
            })
            .collect::<Result<Vec<_>>>()?;
        run(&pieces, &out.narrow(0, range)?.windowed(op)?)?;
    }
    Ok(())
}

/// [`by_row_blocks`] one row at a time, each row (and each input cut with
/// it) a tensor without dim 0.
fn by_single_rows(
    op: &'static str,
    whole_rows: bool,
    inputs: &[&Tensor],
    out: &Tensor,
    run: &mut dyn FnMut(&[Tensor], &Tensor) -> Result<()>,
) -> Result<()> {
    let rows = out.shape()[0];
    let cut = |t: &Tensor| t.rank() == out.rank() && t.shape()[0] == rows;
    for row in 0..rows {
        let pieces = inputs
            .iter()
            .map(|t| match (cut(t), t.rank() == out.rank()) {
                (true, _) => t.drop_dim0(row),
                // Broadcast along dim 0: its first row serves every row.
                (false, true) => t.drop_dim0(0),
                (false, false) => (*t).clone(),
            })
            .collect::<Vec<_>>();
        let refs: Vec<&Tensor> = pieces.iter().collect();
        blocks(op, whole_rows, &refs, &out.drop_dim0(row), run)?;
    }
    Ok(())
}
