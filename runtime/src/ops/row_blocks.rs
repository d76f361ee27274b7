//! Running an op over row blocks when an operand or its result exceeds one
//! storage binding: the blocks run along dim 0 of the result, each operand
//! with the same dim 0 is cut the same way, and every piece is bound as a
//! window of its buffer ([`Tensor::windowed`]). The op itself runs unchanged
//! on each block, so the unsplit path pays one comparison per operand.

use crate::error::Result;
use crate::tensor::Tensor;

/// Whether every tensor fits one binding: the split decision.
pub(crate) fn all_fit(tensors: &[&Tensor]) -> bool {
    tensors.iter().all(|t| t.fits_binding())
}

/// Run `run(inputs, out)` over blocks of rows along dim 0 of `out`. An input
/// whose dim 0 equals `out`'s (and is not broadcast) is cut with it; any
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
    blocks(op, inputs, out, &mut run)
}

/// The block-by-block run that [`by_row_blocks`] describes.
fn blocks(
    op: &'static str,
    inputs: &[&Tensor],
    out: &Tensor,
    run: &mut dyn FnMut(&[Tensor], &Tensor) -> Result<()>,
) -> Result<()> {
    let rows = out.shape().first().copied().unwrap_or(1);
    let cut = |t: &Tensor| t.rank() == out.rank() && t.shape()[0] == rows && t.strides()[0] != 0;
    let mut per = out.rows_per_window(op);
    for t in inputs.iter().filter(|t| cut(t)) {
        per = match (per, t.rows_per_window(op)) {
            (Ok(a), Ok(b)) => Ok(a.min(b)),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
    }
    let per = match per {
        Ok(per) => per,
        Err(_) if out.rank() >= 2 => return by_single_rows(op, inputs, out, run),
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
    inputs: &[&Tensor],
    out: &Tensor,
    run: &mut dyn FnMut(&[Tensor], &Tensor) -> Result<()>,
) -> Result<()> {
    let rows = out.shape()[0];
    let cut = |t: &Tensor| t.rank() == out.rank() && t.shape()[0] == rows && t.strides()[0] != 0;
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
        blocks(op, &refs, &out.drop_dim0(row), run)?;
    }
    Ok(())
}
