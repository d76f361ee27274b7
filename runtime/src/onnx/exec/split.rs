//! Split: a tensor into parts along one axis, sized by the `split` input
//! (opset 13 on) or attribute, or in equal parts (`num_outputs` from opset
//! 18: the last part may be smaller). Device parts are narrowed views
//! copied out; host parts apply an index map.

use super::index_map::{apply, map_by_dims};
use super::{axis, bad, Ctx, ExecResult};
use crate::onnx::value::OnnxValue;

pub(crate) fn run(ctx: &Ctx<'_>) -> ExecResult<Vec<OnnxValue>> {
    let x = ctx.input(0)?;
    let shape = x.shape().to_vec();
    if shape.is_empty() {
        return bad("Split of a scalar");
    }
    let ax = axis(ctx.node.attrs.int("axis", 0), shape.len())?;
    let dim = shape[ax];
    let parts = ctx.node.outputs.len();
    let sizes = part_sizes(ctx, dim, parts)?;
    let mut out = Vec::with_capacity(sizes.len());
    let mut start = 0;
    for &len in &sizes {
        let part = match x {
            OnnxValue::Tensor(t) if len > 0 => {
                OnnxValue::Tensor(t.narrow(ax, start..start + len)?.contiguous()?)
            }
            _ => {
                let dims: Vec<Vec<Option<usize>>> = (0..shape.len())
                    .map(|d| match d == ax {
                        true => (start..start + len).map(Some).collect(),
                        false => (0..shape[d]).map(Some).collect(),
                    })
                    .collect();
                let (part_shape, map) = map_by_dims(&shape, &dims);
                apply(ctx, x, &part_shape, &map)?
            }
        };
        out.push(part);
        start += len;
    }
    Ok(out)
}

/// The size of each part; they must sum to `dim`, one per output.
fn part_sizes(ctx: &Ctx<'_>, dim: usize, parts: usize) -> ExecResult<Vec<usize>> {
    let given = if ctx.opset >= 13 {
        ctx.opt(1)
            .map(|v| v.to_host())
            .transpose()?
            .map(|h| h.to_i64())
    } else {
        ctx.node.attrs.ints("split").map(|v| v.to_vec())
    };
    let sizes: Vec<usize> = match given {
        Some(list) => list
            .iter()
            .map(|&s| {
                usize::try_from(s).map_err(|_| super::ExecError::Bad(format!("split size {s}")))
            })
            .collect::<ExecResult<_>>()?,
        None => {
            let n = match ctx.node.attrs.int("num_outputs", 0) {
                0 => parts,
                n => usize::try_from(n)
                    .map_err(|_| super::ExecError::Bad(format!("num_outputs {n}")))?,
            };
            if n == 0 {
                return bad("no outputs");
            }
            if ctx.opset < 18 && !dim.is_multiple_of(n) {
                return bad(format!("dim {dim} does not split into {n} equal parts"));
            }
            // ceil(dim / n) each, the last one what remains.
            let chunk = dim.div_ceil(n);
            (0..n)
                .map(|i| chunk.min(dim.saturating_sub(i * chunk)))
                .collect()
        }
    };
    if sizes.len() != parts {
        return bad(format!("{} split sizes for {parts} outputs", sizes.len()));
    }
    if sizes.iter().try_fold(0usize, |a, &s| a.checked_add(s)) != Some(dim) {
        return bad(format!("split sizes {sizes:?} do not sum to dim {dim}"));
    }
    Ok(sizes)
}
