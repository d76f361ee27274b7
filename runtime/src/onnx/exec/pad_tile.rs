//! Ops that build a larger (or masked) tensor by an index map with a fill:
//! Pad (constant, reflect, edge, wrap; the `axes` input), Tile and Trilu.
//! Device tensors run as one gather; host tensors apply the map.

use super::index_map::{apply_with_fill, map_by_dims};
use super::{axis, bad, Ctx, ExecResult};
use crate::onnx::limits::MAX_ELEMENTS;
use crate::onnx::value::OnnxValue;

pub(crate) fn run(ctx: &Ctx<'_>) -> ExecResult<Vec<OnnxValue>> {
    let out = match ctx.node.op.as_str() {
        "Pad" => pad(ctx)?,
        "Tile" => tile(ctx)?,
        "Trilu" => trilu(ctx)?,
        other => return bad(format!("{other} is not a pad op")),
    };
    Ok(vec![out])
}

/// Refuses an output of more than [`MAX_ELEMENTS`] before its map is built.
fn check_size(dims: &[i64]) -> ExecResult<()> {
    let n = dims.iter().try_fold(1i64, |a, &d| a.checked_mul(d.max(0)));
    match n {
        Some(n) if n <= MAX_ELEMENTS as i64 => Ok(()),
        _ => bad(format!("output dims {dims:?} are too large")),
    }
}

fn pad(ctx: &Ctx<'_>) -> ExecResult<OnnxValue> {
    let a = &ctx.node.attrs;
    let x = ctx.input(0)?;
    let shape = x.shape().to_vec();
    let r = shape.len();
    let (pads, fill, axes) = if ctx.opset < 11 {
        let pads = a.ints("pads").map(|v| v.to_vec()).unwrap_or_default();
        (pads, f64::from(a.float("value", 0.0)), None)
    } else {
        let fill = match ctx.opt(2) {
            Some(v) => v.to_host()?.to_f32().first().map_or(0.0, |&f| f64::from(f)),
            None => 0.0,
        };
        let axes = ctx.opt(3).map(|v| v.to_host()).transpose()?;
        (ctx.ints(1)?, fill, axes.map(|h| h.to_i64()))
    };
    let axes: Vec<usize> = match axes {
        Some(list) => list
            .iter()
            .map(|&v| axis(v, r))
            .collect::<ExecResult<_>>()?,
        None => (0..r).collect(),
    };
    if pads.len() != 2 * axes.len() {
        return bad(format!(
            "{} pads for {} axes (want begins then ends)",
            pads.len(),
            axes.len()
        ));
    }
    let mode = a.string("mode").unwrap_or("constant");
    let (mut begin, mut end) = (vec![0i64; r], vec![0i64; r]);
    for (k, &d) in axes.iter().enumerate() {
        begin[d] = pads[k];
        end[d] = pads[k + axes.len()];
    }
    let out_dims: Vec<i64> = (0..r)
        .map(|d| shape[d] as i64 + begin[d] + end[d])
        .collect();
    if out_dims.iter().any(|&d| d < 0) {
        return bad(format!("pads {pads:?} crop past the input {shape:?}"));
    }
    check_size(&out_dims)?;
    let dims = (0..r)
        .map(|d| {
            let n = shape[d] as i64;
            (0..out_dims[d])
                .map(|o| source_index(mode, o - begin[d], n))
                .collect::<ExecResult<Vec<_>>>()
        })
        .collect::<ExecResult<Vec<_>>>()?;
    let (out_shape, map) = map_by_dims(&shape, &dims);
    apply_with_fill(ctx, x, &out_shape, &map, fill)
}

/// The input index that padding position `i` (input coordinates, may be
/// outside `0..n`) takes in `mode`; `None` for the constant.
fn source_index(mode: &str, i: i64, n: i64) -> ExecResult<Option<usize>> {
    if (0..n).contains(&i) {
        return Ok(Some(i as usize));
    }
    if mode == "constant" {
        return Ok(None);
    }
    if n == 0 {
        return bad(format!("{mode} padding of an empty dim"));
    }
    let k = match mode {
        "edge" => i.clamp(0, n - 1),
        "wrap" => i.rem_euclid(n),
        "reflect" if n == 1 => 0,
        "reflect" => {
            // Period 2(n - 1): 0 1 .. n-1 n-2 .. 1, then again.
            let p = 2 * (n - 1);
            let m = i.rem_euclid(p);
            if m < n {
                m
            } else {
                p - m
            }
        }
        other => return bad(format!("pad mode {other}")),
    };
    Ok(Some(k as usize))
}

fn tile(ctx: &Ctx<'_>) -> ExecResult<OnnxValue> {
    let x = ctx.input(0)?;
    let shape = x.shape().to_vec();
    let repeats = ctx.ints(1)?;
    if repeats.len() != shape.len() || repeats.iter().any(|&r| r < 0) {
        return bad(format!("repeats {repeats:?} for shape {shape:?}"));
    }
    let out_dims: Vec<i64> = shape
        .iter()
        .zip(&repeats)
        .map(|(&d, &r)| (d as i64).saturating_mul(r))
        .collect();
    check_size(&out_dims)?;
    let dims: Vec<Vec<Option<usize>>> = shape
        .iter()
        .zip(&out_dims)
        .map(|(&n, &o)| (0..o as usize).map(|i| Some(i % n)).collect())
        .collect();
    let (out_shape, map) = map_by_dims(&shape, &dims);
    apply_with_fill(ctx, x, &out_shape, &map, 0.0)
}

/// The upper (or lower) triangle of the last two dims from diagonal `k`;
/// the rest zero.
fn trilu(ctx: &Ctx<'_>) -> ExecResult<OnnxValue> {
    let x = ctx.input(0)?;
    let shape = x.shape().to_vec();
    let r = shape.len();
    if r < 2 {
        return bad("Trilu takes rank 2 or more");
    }
    let k = match ctx.opt(1) {
        Some(v) => v.to_host()?.to_i64().first().copied().unwrap_or(0),
        None => 0,
    };
    let upper = ctx.node.attrs.int("upper", 1) != 0;
    let (rows, cols) = (shape[r - 2], shape[r - 1]);
    let batch: usize = shape[..r - 2].iter().product();
    let mut map = Vec::with_capacity(batch * rows * cols);
    for b in 0..batch {
        for i in 0..rows {
            for j in 0..cols {
                let diag = j as i64 - i as i64;
                let keep = if upper { diag >= k } else { diag <= k };
                map.push(if keep {
                    (b * rows + i) * cols + j
                } else {
                    super::index_map::FILL
                });
            }
        }
    }
    apply_with_fill(ctx, x, &shape, &map, 0.0)
}

#[cfg(test)]
mod tests {
    use super::source_index;

    fn row(mode: &str, n: i64) -> Vec<Option<usize>> {
        (-4..n + 4)
            .map(|i| source_index(mode, i, n).unwrap())
            .collect()
    }

    #[test]
    fn each_mode_maps_outside_positions_as_numpy_pad_does() {
        // np.pad(np.arange(3), 4, mode) for edge, reflect and wrap.
        let some = |v: &[usize]| v.iter().map(|&i| Some(i)).collect::<Vec<_>>();
        assert_eq!(row("edge", 3), some(&[0, 0, 0, 0, 0, 1, 2, 2, 2, 2, 2]));
        assert_eq!(row("reflect", 3), some(&[0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2]));
        assert_eq!(row("wrap", 3), some(&[2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0]));
        assert_eq!(row("reflect", 1), some(&[0; 9]));
        let constant = row("constant", 2);
        assert_eq!(constant[4..6], [Some(0), Some(1)]);
        assert!(constant[..4]
            .iter()
            .chain(&constant[6..])
            .all(Option::is_none));
        assert!(source_index("edge", -1, 0).is_err());
        assert!(source_index("mirror", -1, 3).is_err());
    }
}
