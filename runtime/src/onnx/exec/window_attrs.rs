//! The window attributes of Conv, ConvTranspose and the pools
//! (`kernel_shape`, `strides`, `dilations`, `pads`, `auto_pad`) checked and
//! turned into a [`WindowGeometry`].

use super::{bad, Ctx, ExecResult};
use tessera_kernels::WindowGeometry;

/// How padding is chosen (`auto_pad`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AutoPad {
    /// Explicit `pads`.
    NotSet,
    /// No padding.
    Valid,
    /// Output `ceil(len / stride)`, the odd pad at the end.
    SameUpper,
    /// Output `ceil(len / stride)`, the odd pad at the start.
    SameLower,
}

pub(crate) fn auto_pad(ctx: &Ctx<'_>) -> ExecResult<AutoPad> {
    Ok(
        match ctx.node.attrs.string("auto_pad").unwrap_or("NOTSET") {
            "NOTSET" | "" => AutoPad::NotSet,
            "VALID" => AutoPad::Valid,
            "SAME_UPPER" => AutoPad::SameUpper,
            "SAME_LOWER" => AutoPad::SameLower,
            other => {
                return bad(format!(
                    "auto_pad {other:?} is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER"
                ))
            }
        },
    )
}

/// A non-negative integer list attribute of `len` entries, or `default`.
fn list(ctx: &Ctx<'_>, name: &str, len: usize, default: usize) -> ExecResult<Vec<usize>> {
    let Some(v) = ctx.node.attrs.ints(name) else {
        return Ok(vec![default; len]);
    };
    if v.len() != len {
        return bad(format!("{name} has {} entries, expected {len}", v.len()));
    }
    v.iter()
        .map(|&x| match usize::try_from(x) {
            Ok(u) if u <= u32::MAX as usize => Ok(u),
            _ => bad(format!("{name} entry {x} is out of range")),
        })
        .collect()
}

/// The window over `spatial` (the input's spatial dims) with `kernel` taps,
/// padding resolved from `auto_pad` (SAME: output `ceil(len / stride)`).
pub(crate) fn window(
    ctx: &Ctx<'_>,
    spatial: &[usize],
    kernel: Vec<usize>,
) -> ExecResult<WindowGeometry> {
    let r = spatial.len();
    if r == 0 || kernel.len() != r || kernel.contains(&0) {
        return bad(format!(
            "kernel_shape {kernel:?} does not fit spatial dims {spatial:?}"
        ));
    }
    let strides = list(ctx, "strides", r, 1)?;
    let dilations = list(ctx, "dilations", r, 1)?;
    if strides.contains(&0) || dilations.contains(&0) {
        return bad("strides and dilations must be positive");
    }
    let pads = list(ctx, "pads", 2 * r, 0)?;
    let mut geom = WindowGeometry {
        kernel,
        strides,
        dilations,
        pads_begin: pads[..r].to_vec(),
        pads_end: pads[r..].to_vec(),
    };
    let mode = auto_pad(ctx)?;
    if mode != AutoPad::NotSet {
        for (i, &len) in spatial.iter().enumerate() {
            let (b, e) = match mode {
                AutoPad::Valid => (0, 0),
                _ => {
                    let s = geom.strides[i];
                    let span = geom.span(i).unwrap_or(usize::MAX);
                    let total = (len.div_ceil(s).saturating_sub(1) * s)
                        .saturating_add(span)
                        .saturating_sub(len);
                    let small = total / 2;
                    if mode == AutoPad::SameUpper {
                        (small, total - small)
                    } else {
                        (total - small, small)
                    }
                }
            };
            geom.pads_begin[i] = b;
            geom.pads_end[i] = e;
        }
    }
    Ok(geom)
}

/// The `kernel_shape` attribute, required for pools.
pub(crate) fn kernel_shape(ctx: &Ctx<'_>, r: usize) -> ExecResult<Vec<usize>> {
    if ctx.node.attrs.ints("kernel_shape").is_none() {
        return bad("kernel_shape is required");
    }
    list(ctx, "kernel_shape", r, 1)
}

/// The ints of attribute `name` (`len` entries, default 0), for
/// `output_padding` and `output_shape`.
pub(crate) fn sizes(ctx: &Ctx<'_>, name: &str, len: usize) -> ExecResult<Vec<usize>> {
    list(ctx, name, len, 0)
}
