//! Conformance cases of the dense matmul: every kernel the shapes reach
//! (tiles, matrix-vector), batched and strided operands.

use super::{Cases, Tolerance};
use crate::error::Result;
use crate::reference;
use tessera_kernels::DType;

pub(super) fn tolerance(dtype: DType, k: usize) -> Tolerance {
    match dtype {
        DType::F16 => Tolerance::matmul_f16(k),
        _ => Tolerance::matmul_f32(k),
    }
}

/// `[m, k] @ [k, n]` over odd sizes (matrix-vector rows included), a batch
/// with broadcasting, and a transposed operand.
pub(crate) fn matmul(c: &mut Cases) -> Result<()> {
    let dtype = c.dtype();
    for (m, k, n) in [
        (1, 1, 1),
        (1, 37, 29),
        (5, 64, 33),
        (17, 19, 23),
        (65, 130, 67),
        (128, 96, 128),
    ] {
        let (a, av) = c.input(&[m, k], -1.0, 1.0)?;
        let (b, bv) = c.input(&[k, n], -1.0, 1.0)?;
        let (want, _) = reference::matmul(&av, &[m, k], &bv, &[k, n], false, false);
        c.check(
            &format!("matmul [{m}, {k}] @ [{k}, {n}]"),
            &a.matmul(&b)?,
            &want,
            tolerance(dtype, k),
        )?;
    }
    let (a, av) = c.input(&[3, 1, 9, 20], -1.0, 1.0)?;
    let (b, bv) = c.input(&[2, 20, 11], -1.0, 1.0)?;
    let (want, _) = reference::matmul(&av, &[3, 1, 9, 20], &bv, &[2, 20, 11], false, false);
    c.check(
        "batched [3, 1, 9, 20] @ [2, 20, 11]",
        &a.matmul(&b)?,
        &want,
        tolerance(dtype, 20),
    )?;
    let (bt, btv) = c.input(&[13, 31], -1.0, 1.0)?;
    let (a, av) = c.input(&[6, 31], -1.0, 1.0)?;
    let (want, _) = reference::matmul(&av, &[6, 31], &btv, &[13, 31], false, true);
    c.check(
        "[6, 31] @ transposed [13, 31]",
        &a.matmul(&bt.transpose(0, 1)?)?,
        &want,
        tolerance(dtype, 31),
    )?;
    Ok(())
}
