//! Shared by the window ops (conv, conv_transpose, pool): the host checks of
//! a geometry against an input, and the kernels' parameter uniform.

use super::launch::to_u32;
use crate::error::{Error, Result, ShapeError};
use crate::tensor::Tensor;
use tessera_kernels::{DType, WindowGeometry, WindowParams};

/// Checks that `x` is an f32 `[n, c, ...spatial]` tensor with 1 to 3 spatial
/// dims matching `geom`, and `geom` is consistent.
pub(crate) fn check_input(op: &'static str, x: &Tensor, geom: &WindowGeometry) -> Result<()> {
    require_f32(op, x)?;
    let r = geom.rank();
    if !(1..=3).contains(&r) || x.rank() != r + 2 {
        return Err(ShapeError::new(
            op,
            format!(
                "x must be [n, c, ...spatial] with 1 to 3 spatial dims matching the \
                 {r}-dim window"
            ),
            &[x.shape(), &geom.kernel],
        )
        .into());
    }
    if !geom.is_consistent() {
        return Err(ShapeError::new(
            op,
            format!("inconsistent window {geom:?}: one entry per dim, kernel/stride/dilation > 0"),
            &[x.shape()],
        )
        .into());
    }
    Ok(())
}

/// Every operand of a window op is f32.
pub(crate) fn require_f32(op: &'static str, t: &Tensor) -> Result<()> {
    if t.dtype() == DType::F32 {
        Ok(())
    } else {
        Err(Error::DType {
            op,
            expected: "f32".into(),
            found: t.dtype(),
        })
    }
}

/// The output's spatial dims: `geom.output_len` of each input dim.
pub(crate) fn output_spatial(
    op: &'static str,
    x: &Tensor,
    geom: &WindowGeometry,
    ceil: bool,
) -> Result<Vec<usize>> {
    x.shape()[2..]
        .iter()
        .enumerate()
        .map(|(i, &len)| {
            geom.output_len(i, len, ceil).ok_or_else(|| {
                ShapeError::new(
                    op,
                    format!("the window {geom:?} does not fit spatial dim {i} of the padded input"),
                    &[x.shape()],
                )
                .into()
            })
        })
        .collect()
}

/// The geometry part of [`WindowParams`]: spatial dims of `x`'s shape and
/// `out_spatial`, as `[d, h, w]` with leading dims of 1.
pub(crate) fn window_params(
    op: &'static str,
    x_shape: &[usize],
    out_spatial: &[usize],
    geom: &WindowGeometry,
) -> Result<WindowParams> {
    let r = geom.rank();
    let three = |v: &[usize], fill: usize| -> Result<[u32; 3]> {
        let mut out = [fill; 3];
        out[3 - r..].copy_from_slice(v);
        Ok([
            to_u32(op, out[0])?,
            to_u32(op, out[1])?,
            to_u32(op, out[2])?,
        ])
    };
    let input = three(&x_shape[2..], 1)?;
    let output = three(out_spatial, 1)?;
    let kernel = three(&geom.kernel, 1)?;
    let stride = three(&geom.strides, 1)?;
    let dil = three(&geom.dilations, 1)?;
    let pad = three(&geom.pads_begin, 0)?;
    let pad_end = three(&geom.pads_end, 0)?;
    // Coordinates are computed in i32 in the kernels.
    for i in 0..3 {
        let far = (output[i] as u64) * stride[i] as u64
            + (kernel[i] as u64) * dil[i] as u64
            + input[i] as u64
            + pad[i] as u64
            + pad_end[i] as u64;
        if far > i32::MAX as u64 {
            return Err(Error::TooLarge {
                op,
                message: format!("window coordinates past i32 along spatial dim {i}"),
            });
        }
    }
    Ok(WindowParams {
        n: to_u32(op, x_shape[0])?,
        in_d: input[0],
        in_h: input[1],
        in_w: input[2],
        out_d: output[0],
        out_h: output[1],
        out_w: output[2],
        k_d: kernel[0],
        k_h: kernel[1],
        k_w: kernel[2],
        stride_d: stride[0],
        stride_h: stride[1],
        stride_w: stride[2],
        dil_d: dil[0],
        dil_h: dil[1],
        dil_w: dil[2],
        pad_d: pad[0],
        pad_h: pad[1],
        pad_w: pad[2],
        pad_end_d: pad_end[0],
        pad_end_h: pad_end[1],
        pad_end_w: pad_end[2],
        ..WindowParams::default()
    })
}
