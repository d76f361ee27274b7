//! Conformance cases of the row ops (softmax, layer and RMS norm) and the
//! reductions along one axis.

use super::{Cases, Tolerance};
use crate::error::Result;
use crate::reference;
use tessera_kernels::{NormKind, ReduceOp};

/// Row lengths: 1, odd, a prime past one workgroup, a vec4 multiple, long.
const ROWS: [(usize, usize); 5] = [(1, 1), (3, 7), (5, 131), (4, 256), (2, 1030)];

/// Softmax of plain rows and of attention-shaped scores with a broadcast mask.
pub(crate) fn softmax(c: &mut Cases) -> Result<()> {
    for (rows, n) in ROWS {
        let (x, xv) = c.input(&[rows, n], -6.0, 6.0)?;
        let want = reference::softmax(&xv, &[rows, n], None);
        c.check(
            &format!("softmax [{rows}, {n}]"),
            &x.softmax(None)?,
            &want,
            Tolerance::F32_TRANSCENDENTAL,
        )?;
    }
    let (shape, mask_shape) = ([2, 3, 5, 9], [2, 1, 1, 9]);
    let (x, xv) = c.input(&shape, -6.0, 6.0)?;
    let (m, mv) = c.input(&mask_shape, -3.0, 0.0)?;
    let want = reference::softmax(&xv, &shape, Some((&mv, &mask_shape)));
    c.check(
        "masked softmax [2, 3, 5, 9] + [2, 1, 1, 9]",
        &x.softmax(Some(&m))?,
        &want,
        Tolerance::F32_TRANSCENDENTAL,
    )?;
    Ok(())
}

fn norm(c: &mut Cases, kind: NormKind) -> Result<()> {
    for (rows, n) in ROWS {
        let (x, xv) = c.input(&[rows, n], -3.0, 3.0)?;
        let (w, wv) = c.input(&[n], 0.5, 1.5)?;
        let (b, bv) = c.input(&[n], -0.5, 0.5)?;
        let eps = 1e-5;
        let (y, want) = match kind {
            NormKind::Layer => (
                x.layer_norm(Some(&w), Some(&b), eps)?,
                reference::layernorm(&xv, &[rows, n], Some(&wv), Some(&bv), eps),
            ),
            NormKind::Rms => (
                x.rms_norm(Some(&w), eps)?,
                reference::rmsnorm(&xv, &[rows, n], Some(&wv), eps),
            ),
        };
        c.check(
            &format!("{kind:?} norm [{rows}, {n}]"),
            &y,
            &want,
            Tolerance::F32_TRANSCENDENTAL,
        )?;
    }
    let (x, xv) = c.input(&[3, 10], -3.0, 3.0)?;
    let (y, want) = match kind {
        NormKind::Layer => (
            x.layer_norm(None, None, 1e-6)?,
            reference::layernorm(&xv, &[3, 10], None, None, 1e-6),
        ),
        NormKind::Rms => (
            x.rms_norm(None, 1e-6)?,
            reference::rmsnorm(&xv, &[3, 10], None, 1e-6),
        ),
    };
    c.check(
        &format!("{kind:?} norm [3, 10] without weights"),
        &y,
        &want,
        Tolerance::F32_TRANSCENDENTAL,
    )
}

/// Layer norm with and without weight and bias.
pub(crate) fn layer_norm(c: &mut Cases) -> Result<()> {
    norm(c, NormKind::Layer)
}

/// RMS norm with and without weight.
pub(crate) fn rms_norm(c: &mut Cases) -> Result<()> {
    norm(c, NormKind::Rms)
}

/// Sum, mean, max and min along the first, a middle and the last axis.
pub(crate) fn reduce(c: &mut Cases) -> Result<()> {
    let shape = [3, 37, 5];
    for op in [ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min] {
        for axis in 0..3 {
            let (x, xv) = c.input(&shape, -1.0, 1.0)?;
            let want = reference::reduce(op, &xv, &shape, axis);
            let tol = match op {
                ReduceOp::Sum | ReduceOp::Mean => Tolerance::sum_f32(shape[axis]),
                _ => Tolerance::EXACT,
            };
            c.check(
                &format!("{} axis {axis} of {shape:?}", op.name()),
                &x.reduce(op, axis)?,
                &want,
                tol,
            )?;
        }
    }
    Ok(())
}

/// Index of the largest value along each axis (u32, first on ties).
pub(crate) fn argmax(c: &mut Cases) -> Result<()> {
    for (shape, axis) in [([1, 1], 1), ([4, 300], 1), ([7, 5], 0)] {
        let (x, xv) = c.input(&shape, -8.0, 8.0)?;
        let want: Vec<f32> = reference::argmax(&xv, &shape, axis)
            .into_iter()
            .map(|i| i as f32)
            .collect();
        c.check(
            &format!("argmax axis {axis} of {shape:?}"),
            &x.argmax(axis)?,
            &want,
            Tolerance::EXACT,
        )?;
    }
    Ok(())
}
