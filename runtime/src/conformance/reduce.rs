//! Conformance cases of the reductions along one axis and argmax.

use super::{Cases, Tolerance};
use crate::error::Result;
use crate::reference;
use tessera_kernels::ReduceOp;

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
