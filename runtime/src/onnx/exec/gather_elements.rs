//! GatherElements: `out[i][j][k] = data[i][idx[i][j][k]][k]` (for axis 1),
//! indices on the host (negative ones count from the end), as one gather by
//! index map.

use super::index_map::apply;
use super::{axis, bad, Ctx, ExecResult};
use crate::onnx::value::OnnxValue;
use crate::tensor::shape::contiguous_strides;

pub(crate) fn run(ctx: &Ctx<'_>) -> ExecResult<Vec<OnnxValue>> {
    let x = ctx.input(0)?;
    let idx = ctx.host(1)?;
    let shape = x.shape().to_vec();
    let r = shape.len();
    if r == 0 || idx.shape.len() != r {
        return bad(format!(
            "indices of rank {} for data of rank {r}",
            idx.shape.len()
        ));
    }
    let ax = axis(ctx.node.attrs.int("axis", 0), r)?;
    if (0..r).any(|d| d != ax && idx.shape[d] > shape[d]) {
        return bad(format!("indices {:?} exceed data {shape:?}", idx.shape));
    }
    let strides = contiguous_strides(&shape);
    let out_strides = contiguous_strides(&idx.shape);
    let dim = shape[ax] as i64;
    let map = idx
        .to_i64()
        .iter()
        .enumerate()
        .map(|(flat, &i)| {
            let v = if i < 0 { i + dim } else { i };
            if !(0..dim).contains(&v) {
                return bad(format!("index {i} out of range for dim {dim}"));
            }
            let mut at = 0;
            for d in 0..r {
                let c = if d == ax {
                    v as usize
                } else {
                    flat / out_strides[d] % idx.shape[d]
                };
                at += c * strides[d];
            }
            Ok(at)
        })
        .collect::<ExecResult<Vec<usize>>>()?;
    Ok(vec![apply(ctx, x, &idx.shape, &map)?])
}
