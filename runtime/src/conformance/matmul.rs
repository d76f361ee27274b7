//! Conformance cases of the matmul family: dense (every kernel the shapes
//! reach: tiles, matrix-vector), batched and strided operands, and the
//! quantized weight product `x · Wᵀ` for every GGUF format.

use super::{Cases, Tolerance};
use crate::error::Result;
use crate::ops::Weight;
use crate::quant::{dequantize_rows, quantize_rows, QuantFormat, QuantMatrix};
use crate::reference;
use tessera_kernels::DType;

fn tolerance(dtype: DType, k: usize) -> Tolerance {
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

/// `x · Wᵀ` for a weight quantized in every GGUF format, from one row
/// (matrix-vector) to many (tiled or dequantized), and the residual form.
pub(crate) fn matmul_quant_t(c: &mut Cases) -> Result<()> {
    let dtype = c.dtype();
    for format in QuantFormat::ALL {
        let k = 512; // whole super-blocks of every format (256 values)
        let n = 19;
        let wv = c.values(n * k, -1.0, 1.0);
        let bytes = quantize_rows(format, &wv, k)?;
        let w = Weight::from(QuantMatrix::from_ggml_bytes(
            c.device(),
            format,
            n,
            k,
            &bytes,
        )?);
        let dense = dequantize_rows(format, &bytes, k)?;
        for m in [1, 3, 33] {
            let (x, xv) = c.input(&[m, k], -1.0, 1.0)?;
            let (want, _) = reference::matmul(&xv, &[m, k], &dense, &[n, k], false, true);
            c.check(
                &format!("{format} [{m}, {k}] · [{n}, {k}]ᵀ"),
                &x.matmul_t(&w)?,
                &want,
                tolerance(dtype, k),
            )?;
        }
        let (x, xv) = c.input(&[2, k], -1.0, 1.0)?;
        let (r, rv) = c.input(&[2, n], -1.0, 1.0)?;
        let (mut want, _) = reference::matmul(&xv, &[2, k], &dense, &[n, k], false, true);
        want.iter_mut().zip(&rv).for_each(|(w, r)| *w += r);
        c.check(
            &format!("{format} [2, {k}] · Wᵀ + residual"),
            &x.matmul_t_add(&w, &r)?,
            &want,
            tolerance(dtype, k),
        )?;
    }
    Ok(())
}

/// Rows of a quantized table, dequantized to f32 (the embedding lookup of
/// GGUF decoders), for every format.
pub(crate) fn quant_gather(c: &mut Cases) -> Result<()> {
    for format in QuantFormat::ALL {
        let (rows, k) = (11, 256);
        let values = c.values(rows * k, -2.0, 2.0);
        let bytes = quantize_rows(format, &values, k)?;
        let table = QuantMatrix::from_ggml_bytes(c.device(), format, rows, k, &bytes)?;
        let dense = dequantize_rows(format, &bytes, k)?;
        let ids = c.ids(6, rows as u32);
        let want: Vec<f32> = ids
            .iter()
            .flat_map(|&i| dense[i as usize * k..][..k].to_vec())
            .collect();
        let id_tensor = crate::tensor::Tensor::from_slice(c.device(), &ids, &[6])?;
        c.check(
            &format!("{format} gather 6 of [{rows}, {k}]"),
            &table.gather_rows(&id_tensor)?,
            &want,
            Tolerance::EXACT,
        )?;
    }
    Ok(())
}
