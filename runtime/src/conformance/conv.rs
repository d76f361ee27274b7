//! Conformance cases of the window ops: conv (every activation), conv_transpose
//! and pool, over 1 to 3 spatial dims, odd sizes, groups (depthwise included),
//! strides, dilations and uneven padding.

use super::{Cases, Tolerance};
use crate::error::Result;
use crate::ops::ConvKernel;
use crate::reference::{self, ConvOperands};
use tessera_hal::Execution;
use tessera_kernels::{ConvActivation, PoolMode, WindowGeometry, CONV_GEMM_CONFIGS};

/// A window of `kernel` with `strides`, `dilations` and `pads` (begin then end).
fn window(
    kernel: &[usize],
    strides: &[usize],
    dilations: &[usize],
    pads: &[usize],
) -> WindowGeometry {
    let r = kernel.len();
    WindowGeometry {
        kernel: kernel.to_vec(),
        strides: strides.to_vec(),
        dilations: dilations.to_vec(),
        pads_begin: pads[..r].to_vec(),
        pads_end: pads[r..].to_vec(),
    }
}

/// One conv case: x shape, weight shape, groups, window, activation.
type ConvCase = (
    Vec<usize>,
    Vec<usize>,
    usize,
    WindowGeometry,
    ConvActivation,
);

fn conv_cases() -> Vec<ConvCase> {
    use ConvActivation as A;
    vec![
        (
            vec![2, 3, 17],
            vec![5, 3, 3],
            1,
            window(&[3], &[2], &[2], &[1, 2]),
            A::None,
        ),
        (
            vec![1, 4, 13, 11],
            vec![6, 2, 3, 5],
            2,
            window(&[3, 5], &[2, 1], &[1, 2], &[1, 0, 2, 2]),
            A::LeakyRelu { alpha: 0.1 },
        ),
        (
            vec![2, 6, 9, 10],
            vec![6, 1, 3, 3],
            6,
            window(&[3, 3], &[1, 1], &[1, 1], &[1, 1, 1, 1]),
            A::Relu,
        ),
        (
            vec![1, 2, 5, 6, 7],
            vec![3, 2, 2, 3, 2],
            1,
            window(&[2, 3, 2], &[1, 2, 1], &[1, 1, 2], &[0, 1, 1, 1, 0, 0]),
            A::Clip {
                min: -0.5,
                max: 0.7,
            },
        ),
        (
            vec![1, 37, 15, 15],
            vec![70, 37, 1, 1],
            1,
            window(&[1, 1], &[1, 1], &[1, 1], &[0; 4]),
            A::HardSwish,
        ),
        (
            vec![3, 5, 8, 9],
            vec![7, 5, 3, 3],
            1,
            window(&[3, 3], &[3, 2], &[1, 1], &[2, 1, 0, 1]),
            A::Sigmoid,
        ),
        (
            vec![1, 3, 23, 19],
            vec![9, 3, 7, 7],
            1,
            window(&[7, 7], &[2, 2], &[1, 1], &[3, 3, 3, 3]),
            A::HardSigmoid {
                alpha: 0.2,
                beta: 0.5,
            },
        ),
        // Wide enough for the implicit-GEMM kernel (>= 16 channels per group
        // and >= 16 products per output): channels and pixels not multiples of
        // its tiles, several channel and pixel tiles, groups, 1-D and 3-D.
        (
            vec![1, 67, 20, 19],
            vec![130, 67, 3, 3],
            1,
            window(&[3, 3], &[1, 1], &[1, 1], &[1, 1, 1, 1]),
            A::Relu,
        ),
        (
            vec![2, 10, 19, 23],
            vec![36, 5, 3, 3],
            2,
            window(&[3, 3], &[2, 1], &[2, 2], &[2, 1, 0, 3]),
            A::None,
        ),
        (
            vec![3, 17, 40],
            vec![33, 17, 5],
            1,
            window(&[5], &[3], &[2], &[2, 1]),
            A::LeakyRelu { alpha: 0.3 },
        ),
        (
            vec![1, 4, 5, 7, 6],
            vec![20, 4, 3, 2, 3],
            1,
            window(&[3, 2, 3], &[1, 2, 1], &[2, 1, 1], &[2, 0, 1, 1, 1, 0]),
            A::Sigmoid,
        ),
        (
            vec![2, 24, 7, 7],
            vec![65, 24, 1, 1],
            1,
            window(&[1, 1], &[1, 1], &[1, 1], &[0; 4]),
            A::Clip {
                min: -0.3,
                max: 0.4,
            },
        ),
    ]
}

/// Every conv case, bias alternately present, against the f64 reference.
pub(crate) fn conv(c: &mut Cases) -> Result<()> {
    for (i, (xs, ws, groups, geom, act)) in conv_cases().into_iter().enumerate() {
        let (x, xv) = c.input(&xs, -1.0, 1.0)?;
        let (w, wv) = c.input(&ws, -1.0, 1.0)?;
        let (b, bv) = c.input(&[ws[0]], -1.0, 1.0)?;
        let bias = (i % 2 == 0).then_some(&b);
        let y = x.conv(&w, bias, groups, &geom, act)?;
        let ops = ConvOperands {
            x: (&xv, &xs),
            w: (&wv, &ws),
            bias: bias.map(|_| &bv[..]),
            groups,
        };
        let want = reference::conv(ops, &geom, &y.shape()[2..], act);
        let taps: usize = ws[1..].iter().product();
        let what = format!("conv {xs:?} * {ws:?} groups {groups} {geom:?} {act:?}");
        c.check(&what, &y, &want, Tolerance::matmul_f32(taps))?;
        // Every kernel forced, on adapters that lower ops to kernels (the
        // heuristic takes one per adapter kind: software adapters never run
        // the GPU tiles otherwise), except the browser's software adapter,
        // which never runs the implicit GEMM (see `ops::conv`).
        let adapter = c.device().adapter();
        if adapter.features.execution == Execution::WgslPrograms && !adapter.is_software_webgpu() {
            for kernel in every_kernel() {
                let y = x.conv_with_kernel(&w, bias, groups, &geom, act, Some(kernel))?;
                let forced = format!("{what} forced {kernel:?}");
                c.check(&forced, &y, &want, Tolerance::matmul_f32(taps))?;
            }
        }
    }
    Ok(())
}

/// The direct kernel and the implicit GEMM with each of its tiles.
fn every_kernel() -> Vec<ConvKernel> {
    let gemm = CONV_GEMM_CONFIGS.map(ConvKernel::ImplicitGemm);
    [ConvKernel::Direct].into_iter().chain(gemm).collect()
}

/// One conv_transpose case: x shape, weight shape, groups, window, output padding.
type TransposeCase = (Vec<usize>, Vec<usize>, usize, WindowGeometry, Vec<usize>);

/// Transposed convolutions with strides, dilations, padding, output padding
/// and groups, against the f64 reference.
pub(crate) fn conv_transpose(c: &mut Cases) -> Result<()> {
    let cases: [TransposeCase; 4] = [
        (
            vec![2, 3, 7],
            vec![3, 4, 3],
            1,
            window(&[3], &[2], &[1], &[1, 1]),
            vec![1],
        ),
        (
            vec![1, 4, 5, 6],
            vec![4, 3, 3, 2],
            2,
            window(&[3, 2], &[2, 3], &[2, 1], &[1, 0, 0, 1]),
            vec![1, 0],
        ),
        (
            vec![1, 2, 3, 4, 3],
            vec![2, 3, 2, 2, 3],
            1,
            window(&[2, 2, 3], &[1, 2, 2], &[1, 1, 1], &[0; 6]),
            vec![0, 1, 0],
        ),
        (
            vec![2, 5, 9, 8],
            vec![5, 6, 4, 4],
            1,
            window(&[4, 4], &[2, 2], &[1, 1], &[1, 1, 1, 1]),
            vec![0, 0],
        ),
    ];
    for (i, (xs, ws, groups, geom, out_pad)) in cases.into_iter().enumerate() {
        let (x, xv) = c.input(&xs, -1.0, 1.0)?;
        let (w, wv) = c.input(&ws, -1.0, 1.0)?;
        let (b, bv) = c.input(&[ws[1] * groups], -1.0, 1.0)?;
        let bias = (i % 2 == 1).then_some(&b);
        let y = x.conv_transpose(&w, bias, groups, &geom, &out_pad)?;
        let ops = ConvOperands {
            x: (&xv, &xs),
            w: (&wv, &ws),
            bias: bias.map(|_| &bv[..]),
            groups,
        };
        let want = reference::conv_transpose(ops, &geom, &y.shape()[2..], ConvActivation::None);
        let taps = xs[1] / groups * ws[2..].iter().product::<usize>();
        c.check(
            &format!("conv_transpose {xs:?} * {ws:?} groups {groups} {geom:?} out_pad {out_pad:?}"),
            &y,
            &want,
            Tolerance::matmul_f32(taps),
        )?;
    }
    Ok(())
}

/// Max and both averages over 1 to 3 spatial dims, with padding, dilation
/// and both roundings of the output size.
pub(crate) fn pool(c: &mut Cases) -> Result<()> {
    let cases = [
        (
            vec![2, 3, 11, 13],
            window(&[3, 2], &[2, 2], &[1, 2], &[1, 0, 1, 1]),
            true,
        ),
        (vec![1, 4, 17], window(&[4], &[3], &[1], &[2, 1]), false),
        (
            vec![1, 2, 5, 7, 6],
            window(&[2, 3, 2], &[2, 2, 1], &[1, 1, 1], &[1, 0, 1, 0, 1, 0]),
            true,
        ),
        (
            vec![3, 5, 14, 14],
            window(&[3, 3], &[2, 2], &[1, 1], &[0; 4]),
            true,
        ),
    ];
    for (xs, geom, ceil) in cases {
        let (x, xv) = c.input(&xs, -4.0, 4.0)?;
        for mode in [
            PoolMode::Max,
            PoolMode::AverageExcludingPad,
            PoolMode::AverageIncludingPad,
        ] {
            let y = x.pool(mode, &geom, ceil)?;
            let want = reference::pool(&xv, &xs, mode, &geom, &y.shape()[2..]);
            c.check(
                &format!("pool {mode:?} {xs:?} {geom:?} ceil {ceil}"),
                &y,
                &want,
                Tolerance::F32_EXACTISH,
            )?;
        }
    }
    Ok(())
}
