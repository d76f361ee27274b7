//! Conformance cases of the elementwise ops: unary, affine, binary, where.

use super::{Cases, Tolerance};
use crate::error::Result;
use crate::reference;
use crate::tensor::Tensor;
use tessera_kernels::{BinaryOp, UnaryOp};

/// Odd sizes, 1, a prime, a non-multiple of every tile and a vec4-aligned one.
const SHAPES: [&[usize]; 5] = [&[1], &[7], &[3, 37], &[2, 5, 129], &[4, 256]];

fn unary_domain(op: UnaryOp) -> (f32, f32) {
    match op {
        UnaryOp::Log | UnaryOp::Sqrt | UnaryOp::Rsqrt => (0.05, 8.0),
        _ => (-6.0, 6.0),
    }
}

fn unary_tolerance(op: UnaryOp) -> Tolerance {
    match op {
        // erf_approx is within 2e-7 of erf; ONNX asks erf to about 1e-6.
        UnaryOp::Neg | UnaryOp::Abs | UnaryOp::Relu | UnaryOp::Sqrt | UnaryOp::Erf => {
            Tolerance::F32_EXACTISH
        }
        _ => Tolerance::F32_TRANSCENDENTAL,
    }
}

/// Every unary op on every shape, contiguous and through a transposed view.
pub(crate) fn unary(c: &mut Cases) -> Result<()> {
    for op in UnaryOp::ALL {
        let (lo, hi) = unary_domain(op);
        for shape in SHAPES {
            let (x, xv) = c.input(shape, lo, hi)?;
            let y = x.unary(op)?;
            let what = format!("{} {shape:?}", op.name());
            c.check(&what, &y, &reference::unary(op, &xv), unary_tolerance(op))?;
        }
        let (x, xv) = c.input(&[5, 9], lo, hi)?;
        let t = x.transpose(0, 1)?;
        let want = reference::unary(op, &reference::permute(&xv, &[5, 9], &[1, 0]));
        c.check(
            &format!("{} transposed [9, 5]", op.name()),
            &t.unary(op)?,
            &want,
            unary_tolerance(op),
        )?;
    }
    Ok(())
}

/// `x * scale + bias` on every shape.
pub(crate) fn affine(c: &mut Cases) -> Result<()> {
    for shape in SHAPES {
        let (x, xv) = c.input(shape, -3.0, 3.0)?;
        let (scale, bias) = (c.values(1, -2.0, 2.0)[0], c.values(1, -1.0, 1.0)[0]);
        let y = x.affine(scale, bias)?;
        let want = reference::affine(&xv, scale, bias);
        c.check(
            &format!("affine {shape:?}"),
            &y,
            &want,
            Tolerance::F32_EXACTISH,
        )?;
    }
    Ok(())
}

fn binary_domains(op: BinaryOp) -> [(f32, f32); 2] {
    match op {
        BinaryOp::Div => [(-4.0, 4.0), (0.5, 3.0)],
        BinaryOp::Pow => [(0.1, 3.0), (-2.0, 2.0)],
        _ => [(-4.0, 4.0), (-4.0, 4.0)],
    }
}

/// Every binary op: same shapes, a row broadcast, a column broadcast and a
/// scalar, so both the vec4 and the strided kernels run.
pub(crate) fn binary(c: &mut Cases) -> Result<()> {
    let pairs: [(&[usize], &[usize]); 5] = [
        (&[7], &[7]),
        (&[6, 8], &[6, 8]),
        (&[6, 8], &[8]),
        (&[3, 5, 7], &[3, 1, 7]),
        (&[1], &[4, 9]),
    ];
    for op in BinaryOp::ALL {
        let [(alo, ahi), (blo, bhi)] = binary_domains(op);
        let tol = match op {
            BinaryOp::Pow | BinaryOp::SiluMul => Tolerance::F32_TRANSCENDENTAL,
            _ => Tolerance::F32_EXACTISH,
        };
        for (sa, sb) in pairs {
            let (a, av) = binary_input(c, op, sa, alo, ahi)?;
            let (b, bv) = binary_input(c, op, sb, blo, bhi)?;
            let (want, _) = reference::binary(op, &av, sa, &bv, sb);
            let what = format!("{} {sa:?} {sb:?}", op.name());
            c.check(&what, &a.binary(op, &b)?, &want, tol)?;
        }
    }
    Ok(())
}

/// Whether `op` compares (its result is 1.0 or 0.0).
fn is_comparison(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Less
            | BinaryOp::Greater
            | BinaryOp::LessEqual
            | BinaryOp::GreaterEqual
            | BinaryOp::Equal
    )
}

/// A random operand; for comparisons the values are whole numbers in
/// `[-3, 3]`, so equal pairs (the edge of every comparison) are common.
fn binary_input(
    c: &mut Cases,
    op: BinaryOp,
    shape: &[usize],
    lo: f32,
    hi: f32,
) -> Result<(Tensor, Vec<f32>)> {
    if !is_comparison(op) {
        return c.input(shape, lo, hi);
    }
    let n = shape.iter().product();
    let values: Vec<f32> = c.ids(n, 7).iter().map(|&i| i as f32 - 3.0).collect();
    let t = Tensor::from_f32(c.device(), &values, shape, c.dtype())?;
    Ok((t, values))
}

/// `cond ? a : b` with all three broadcasting.
pub(crate) fn where_select(c: &mut Cases) -> Result<()> {
    let shapes: [[&[usize]; 3]; 3] = [
        [&[9], &[9], &[9]],
        [&[4, 1], &[4, 7], &[7]],
        [&[2, 3, 5], &[1], &[3, 5]],
    ];
    for [sc, sa, sb] in shapes {
        let n: usize = sc.iter().product();
        let cond: Vec<u32> = c.ids(n, 2);
        let ct = Tensor::from_slice(c.device(), &cond, sc)?;
        let (a, av) = c.input(sa, -4.0, 4.0)?;
        let (b, bv) = c.input(sb, -4.0, 4.0)?;
        let (want, _) = reference::where_select(&cond, sc, &av, sa, &bv, sb);
        let y = crate::ops::where_select(&ct, &a, &b)?;
        c.check(
            &format!("where {sc:?} {sa:?} {sb:?}"),
            &y,
            &want,
            Tolerance::EXACT,
        )?;
    }
    Ok(())
}
