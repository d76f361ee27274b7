//! Conformance cases of softmax.

use super::{Cases, Tolerance};
use crate::error::Result;
use crate::reference;

/// Row lengths: 1, odd, a prime past one workgroup, a vec4 multiple, long.
pub(super) const ROWS: [(usize, usize); 5] = [(1, 1), (3, 7), (5, 131), (4, 256), (2, 1030)];

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
