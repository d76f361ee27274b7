//! Conformance cases of layer norm and RMS norm.

use super::softmax::ROWS;
use super::{Cases, Tolerance};
use crate::error::Result;
use crate::reference;
use tessera_kernels::NormKind;

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
