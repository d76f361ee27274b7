//! Conformance cases of data movement: copy (materialising views), cast and
//! concat.

use super::{Cases, Tolerance};
use crate::error::Result;
use crate::reference;
use crate::tensor::Tensor;
use tessera_kernels::DType;

/// Materialising permuted, sliced and broadcast views, and copying into a
/// slice of a larger tensor.
pub(crate) fn copy(c: &mut Cases) -> Result<()> {
    let (x, xv) = c.input(&[3, 5, 7], -4.0, 4.0)?;
    let perm = [2, 0, 1];
    let want = reference::permute(&xv, &[3, 5, 7], &perm);
    c.check(
        "permute [3, 5, 7] -> [7, 3, 5]",
        &x.permute(&perm)?.contiguous()?,
        &want,
        Tolerance::EXACT,
    )?;
    let ranges = [1..3, 0..5, 2..7];
    let want = reference::slice(&xv, &[3, 5, 7], &ranges);
    let sliced = x.narrow(0, 1..3)?.narrow(2, 2..7)?;
    c.check(
        "slice [1..3, .., 2..7]",
        &sliced.contiguous()?,
        &want,
        Tolerance::EXACT,
    )?;
    let (row, rv) = c.input(&[1, 9], -4.0, 4.0)?;
    let want: Vec<f32> = (0..4).flat_map(|_| rv.clone()).collect();
    c.check(
        "broadcast [1, 9] -> [4, 9]",
        &row.broadcast_to(&[4, 9])?.copy()?,
        &want,
        Tolerance::EXACT,
    )?;
    let (big, mut bv) = c.input(&[6, 11], -4.0, 4.0)?;
    let (part, pv) = c.input(&[2, 11], -4.0, 4.0)?;
    part.copy_into(&big.narrow(0, 3..5)?)?;
    bv[3 * 11..5 * 11].copy_from_slice(&pv);
    c.check(
        "copy_into rows 3..5 of [6, 11]",
        &big,
        &bv,
        Tolerance::EXACT,
    )?;
    Ok(())
}

/// Float to float and float to integer conversions (integers truncate).
pub(crate) fn cast(c: &mut Cases) -> Result<()> {
    let from = c.dtype();
    let f16 = c.device().adapter().features.shader_f16;
    let targets: Vec<DType> = [DType::F32, DType::F16, DType::I32]
        .into_iter()
        .filter(|&d| d != from && (d != DType::F16 || f16))
        .collect();
    for to in targets {
        let (x, xv) = c.input(&[3, 43], -300.0, 300.0)?;
        let want: Vec<f32> = match to {
            DType::F16 => reference::round_to_f16(&xv),
            DType::I32 => xv.iter().map(|v| v.trunc()).collect(),
            _ => xv.clone(),
        };
        // f32 -> f16 rounds to nearest; allow one f16 step for ties.
        let tol = match to {
            DType::F16 => Tolerance {
                rtol: 1e-3,
                atol: 0.0,
            },
            _ => Tolerance::EXACT,
        };
        c.check(
            &format!("cast [3, 43] {from} -> {to}"),
            &x.cast(to)?,
            &want,
            tol,
        )?;
    }
    Ok(())
}

/// Concatenation of three parts of different lengths along each axis.
pub(crate) fn concat(c: &mut Cases) -> Result<()> {
    for axis in 0..3 {
        let mut parts = Vec::new();
        for i in 0..3 {
            let mut shape = [2, 3, 5];
            shape[axis] = 1 + 2 * i;
            let (t, v) = c.input(&shape, -4.0, 4.0)?;
            parts.push((t, v, shape));
        }
        let refs: Vec<(&[f32], &[usize])> = parts
            .iter()
            .map(|(_, v, s)| (v.as_slice(), &s[..]))
            .collect();
        let (want, _) = reference::concat(&refs, axis);
        let tensors: Vec<&Tensor> = parts.iter().map(|(t, _, _)| t).collect();
        let y = crate::ops::concat(&tensors, axis)?;
        c.check(&format!("concat axis {axis}"), &y, &want, Tolerance::EXACT)?;
    }
    Ok(())
}
