//! Resize (and opset 9's Upsample) in `nearest` and `linear` mode, one axis
//! at a time as ONNX's reference does. Output sizes come from `scales`
//! (floor) or `sizes` (with `keep_aspect_ratio_policy`), on all axes or the
//! `axes` attribute's. Coordinates map back by `coordinate_transformation_mode`
//! (half_pixel, half_pixel_symmetric, pytorch_half_pixel, align_corners,
//! asymmetric); nearest rounds by `nearest_mode`, linear blends the two
//! neighbours (edge-clamped). Each resized axis is a gather by index map, and
//! for linear a second gather and a blend with per-position weights.
//! `cubic`, `antialias` and `tf_crop_and_resize` are refused at load
//! ([`unsupported`]).

use super::index_map::{apply, map_by_dims};
use super::{axis, bad, Ctx, ExecResult};
use crate::onnx::attrs::Attrs;
use crate::onnx::limits::within_max_elements;
use crate::onnx::value::OnnxValue;

/// Why a Resize node's attributes are not run, found at load (`None`: runs).
pub(crate) fn unsupported(attrs: &Attrs) -> Option<String> {
    let mode = attrs.string("mode").unwrap_or("nearest");
    let ctm = attrs
        .string("coordinate_transformation_mode")
        .unwrap_or("half_pixel");
    if !matches!(mode, "nearest" | "linear") {
        return Some(format!("mode {mode}"));
    }
    if attrs.int("antialias", 0) != 0 {
        return Some("antialias".into());
    }
    if !matches!(
        ctm,
        "half_pixel"
            | "half_pixel_symmetric"
            | "pytorch_half_pixel"
            | "align_corners"
            | "asymmetric"
    ) {
        return Some(format!("coordinate_transformation_mode {ctm}"));
    }
    let nearest = attrs.string("nearest_mode").unwrap_or("round_prefer_floor");
    if !matches!(
        nearest,
        "round_prefer_floor" | "round_prefer_ceil" | "floor" | "ceil"
    ) {
        return Some(format!("nearest_mode {nearest}"));
    }
    None
}

pub(crate) fn run(ctx: &Ctx<'_>) -> ExecResult<Vec<OnnxValue>> {
    let a = &ctx.node.attrs;
    if let Some(why) = unsupported(a) {
        return bad(why);
    }
    let x = ctx.input(0)?;
    let shape = x.shape().to_vec();
    let r = shape.len();
    let axes: Vec<usize> = match a.ints("axes") {
        Some(v) => v.iter().map(|&d| axis(d, r)).collect::<ExecResult<_>>()?,
        None => (0..r).collect(),
    };
    // Upsample and Resize-10 take scales as input 1; later Resize as input 2, sizes as 3.
    let (scales, sizes) = if ctx.node.op == "Upsample" && ctx.opset < 9 {
        (a.floats("scales").map(|v| v.to_vec()), None)
    } else if ctx.node.op == "Upsample" || ctx.opset < 11 {
        (floats(ctx, 1)?, None)
    } else {
        (
            floats(ctx, 2)?,
            ctx.opt(3)
                .map(|v| v.to_host())
                .transpose()?
                .map(|h| h.to_i64()),
        )
    };
    let (scale, out) = target(
        &shape,
        &axes,
        scales,
        sizes,
        a.string("keep_aspect_ratio_policy"),
    )?;
    let ctm = match (ctx.node.op.as_str(), ctx.opset) {
        ("Upsample", _) | (_, ..=10) => "asymmetric",
        _ => a
            .string("coordinate_transformation_mode")
            .unwrap_or("half_pixel"),
    };
    let linear = a.string("mode").unwrap_or("nearest") == "linear";
    // Upsample repeats each element (floor of the asymmetric coordinate).
    let nearest = match ctx.node.op.as_str() {
        "Upsample" => "floor",
        _ => a.string("nearest_mode").unwrap_or("round_prefer_floor"),
    };
    let mut y = x.clone();
    for d in 0..r {
        if out[d] == shape[d] && (scale[d] - 1.0).abs() < 1e-9 {
            continue;
        }
        let coords: Vec<f64> = (0..out[d])
            .map(|o| source_coord(ctm, o as f64, scale[d], shape[d], out[d]))
            .collect();
        y = if linear {
            linear_axis(ctx, &y, d, &coords)?
        } else {
            let idx = coords
                .iter()
                .map(|&c| nearest_index(nearest, c, shape[d]))
                .collect();
            gather_axis(ctx, &y, d, idx)?
        };
    }
    Ok(vec![y])
}

fn floats(ctx: &Ctx<'_>, i: usize) -> ExecResult<Option<Vec<f32>>> {
    Ok(ctx
        .opt(i)
        .map(|v| v.to_host())
        .transpose()?
        .map(|h| h.to_f32())
        .filter(|v| !v.is_empty()))
}

/// Each dim's scale and output size.
fn target(
    shape: &[usize],
    axes: &[usize],
    scales: Option<Vec<f32>>,
    sizes: Option<Vec<i64>>,
    policy: Option<&str>,
) -> ExecResult<(Vec<f64>, Vec<usize>)> {
    let r = shape.len();
    let mut scale = vec![1.0f64; r];
    let mut out = shape.to_vec();
    match (scales, sizes.filter(|s| !s.is_empty())) {
        (_, Some(sizes)) => {
            if sizes.len() != axes.len() || sizes.iter().any(|&s| s < 0) {
                return bad(format!("sizes {sizes:?} for axes {axes:?}"));
            }
            for (k, &d) in axes.iter().enumerate() {
                scale[d] = sizes[k] as f64 / shape[d].max(1) as f64;
                out[d] = sizes[k] as usize;
            }
            let pick = match policy.unwrap_or("stretch") {
                "stretch" => None,
                "not_larger" => Some(axes.iter().map(|&d| scale[d]).fold(f64::INFINITY, f64::min)),
                "not_smaller" => Some(axes.iter().map(|&d| scale[d]).fold(0.0, f64::max)),
                other => return bad(format!("keep_aspect_ratio_policy {other}")),
            };
            if let Some(s) = pick {
                for &d in axes {
                    scale[d] = s;
                    out[d] = (s * shape[d] as f64 + 0.5) as usize;
                }
            }
        }
        (Some(scales), None) => {
            if scales.len() != axes.len()
                || scales
                    .iter()
                    .any(|&s| s.is_nan() || s <= 0.0 || !s.is_finite())
            {
                return bad(format!("scales {scales:?} for axes {axes:?}"));
            }
            for (k, &d) in axes.iter().enumerate() {
                scale[d] = f64::from(scales[k]);
                out[d] = (scale[d] * shape[d] as f64) as usize;
            }
        }
        (None, None) => return bad("neither scales nor sizes"),
    }
    let n = out.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    if !n.is_some_and(within_max_elements) {
        return bad(format!("output {out:?} is too large"));
    }
    Ok((scale, out))
}

/// The input coordinate of output position `o` along a dim of `n_in` inputs.
fn source_coord(ctm: &str, o: f64, scale: f64, n_in: usize, n_out: usize) -> f64 {
    let out_width = scale * n_in as f64;
    match ctm {
        "align_corners" if out_width == 1.0 => 0.0,
        "align_corners" => o * (n_in as f64 - 1.0) / (out_width - 1.0),
        "asymmetric" => o / scale,
        "pytorch_half_pixel" if out_width == 1.0 => -0.5,
        "half_pixel_symmetric" => {
            let adjustment = n_out as f64 / out_width;
            let offset = n_in as f64 / 2.0 * (1.0 - adjustment);
            offset + (o + 0.5) / scale - 0.5
        }
        _ => (o + 0.5) / scale - 0.5,
    }
}

/// The nearest input index of coordinate `c` under `mode`, clamped.
fn nearest_index(mode: &str, c: f64, n: usize) -> usize {
    let f = c.floor();
    let frac = c - f;
    let i = if frac == 0.0 {
        f
    } else {
        match mode {
            "round_prefer_ceil" if frac >= 0.5 => f + 1.0,
            "round_prefer_floor" if frac > 0.5 => f + 1.0,
            "ceil" => f + 1.0,
            _ => f,
        }
    };
    i.clamp(0.0, n.saturating_sub(1) as f64) as usize
}

/// `x` with dim `d` replaced by the input positions `idx`.
fn gather_axis(ctx: &Ctx<'_>, x: &OnnxValue, d: usize, idx: Vec<usize>) -> ExecResult<OnnxValue> {
    let shape = x.shape().to_vec();
    let dims: Vec<Vec<Option<usize>>> = (0..shape.len())
        .map(|k| match k == d {
            true => idx.iter().map(|&i| Some(i)).collect(),
            false => (0..shape[k]).map(Some).collect(),
        })
        .collect();
    let (out_shape, map) = map_by_dims(&shape, &dims);
    apply(ctx, x, &out_shape, &map)
}

/// Linear interpolation along dim `d` at `coords`: `(1 - w) x[i0] + w x[i1]`
/// with `i0 = floor(c)`, `i1 = i0 + 1`, both clamped to the dim.
fn linear_axis(ctx: &Ctx<'_>, x: &OnnxValue, d: usize, coords: &[f64]) -> ExecResult<OnnxValue> {
    let n = x.shape()[d];
    if n == 0 {
        return bad("linear resize of an empty dim");
    }
    let clamp = |i: f64| i.clamp(0.0, (n - 1) as f64) as usize;
    let (mut lo, mut hi, mut w) = (Vec::new(), Vec::new(), Vec::new());
    for &c in coords {
        let f = c.floor();
        lo.push(clamp(f));
        hi.push(clamp(f + 1.0));
        w.push((c - f) as f32);
    }
    let device = ctx.device;
    let x = OnnxValue::Tensor(x.to_device(device)?);
    let a = gather_axis(ctx, &x, d, lo)?.to_device(device)?;
    let b = gather_axis(ctx, &x, d, hi)?.to_device(device)?;
    let mut wshape = vec![1usize; x.shape().len()];
    wshape[d] = coords.len();
    let wt = ctx.upload_f32(&w, &wshape, tessera_kernels::DType::F32)?;
    // a + w (b - a)
    Ok(OnnxValue::Tensor(a.add(&b.sub(&a)?.mul(&wt)?)?))
}

#[cfg(test)]
mod tests {
    use super::{nearest_index, source_coord};

    #[test]
    fn nearest_modes_round_halves_their_own_way() {
        for (mode, want) in [
            ("round_prefer_floor", [1, 1, 2, 2]),
            ("round_prefer_ceil", [1, 2, 2, 2]),
            ("floor", [1, 1, 1, 2]),
            ("ceil", [2, 2, 2, 2]),
        ] {
            let got: Vec<usize> = [1.25, 1.5, 1.75, 2.0]
                .iter()
                .map(|&c| nearest_index(mode, c, 4))
                .collect();
            assert_eq!(got, want, "{mode}");
        }
        assert_eq!(nearest_index("round_prefer_floor", -0.7, 4), 0);
        assert_eq!(nearest_index("ceil", 3.2, 4), 3);
    }

    #[test]
    fn coordinates_follow_each_transformation_mode() {
        // 4 inputs to 8 outputs (scale 2), output position 3.
        assert_eq!(source_coord("half_pixel", 3.0, 2.0, 4, 8), 1.25);
        assert_eq!(source_coord("pytorch_half_pixel", 3.0, 2.0, 4, 8), 1.25);
        assert_eq!(source_coord("asymmetric", 3.0, 2.0, 4, 8), 1.5);
        assert_eq!(
            source_coord("align_corners", 3.0, 2.0, 4, 8),
            3.0 * 3.0 / 7.0
        );
        assert_eq!(source_coord("half_pixel_symmetric", 3.0, 2.0, 4, 8), 1.25);
        // One output: pytorch_half_pixel takes -0.5, align_corners 0.
        assert_eq!(source_coord("pytorch_half_pixel", 0.0, 0.25, 4, 1), -0.5);
        assert_eq!(source_coord("align_corners", 0.0, 0.25, 4, 1), 0.0);
    }
}
