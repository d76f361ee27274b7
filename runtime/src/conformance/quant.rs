//! Conformance cases of quantized weights: `x · Wᵀ` for every GGUF format
//! and the dequantizing gather.

use super::matmul::tolerance;
use super::{Cases, Tolerance};
use crate::error::Result;
use crate::ops::Weight;
use crate::quant::{dequantize_rows, quantize_rows, QuantFormat, QuantMatrix};
use crate::reference;

/// `x · Wᵀ` for a weight quantized in every GGUF format, from one row
/// (matrix-vector) to many (tiled or dequantized), and the residual form.
pub(crate) fn matmul_quant_t(c: &mut Cases) -> Result<()> {
    let dtype = c.dtype();
    for format in QuantFormat::ALL {
        let k = 512; // whole super-blocks of every format (256 values)
        let n = 19;
        let wv = c.values(n * k, -1.0, 1.0);
        let bytes = quantize_rows(format, &wv, k)?;
        let w = QuantMatrix::from_ggml_bytes(c.device(), format, n, k, &bytes)?;
        let w = Weight::from(w);
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
        // Ids held on the host: the web cannot read device ids back.
        c.check(
            &format!("{format} gather 6 of [{rows}, {k}]"),
            &table.gather_rows_host(&ids, &[6])?,
            &want,
            Tolerance::EXACT,
        )?;
    }
    Ok(())
}
