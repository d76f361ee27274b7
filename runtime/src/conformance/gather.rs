//! Conformance cases of gather (rows of a table by ids).

use super::{Cases, Tolerance};
use crate::error::Result;
use crate::reference;
use crate::tensor::Tensor;

/// Rows of a table by u32 and i32 ids. The ids stay on the host (the web
/// cannot read device ids back): u32 through [`Tensor::gather_rows_host`],
/// i32 uploaded as i32 and checked from the host copy, so both index
/// kernels run.
pub(crate) fn gather(c: &mut Cases) -> Result<()> {
    for (rows, cols, n) in [(1, 1, 1), (13, 7, 5), (50, 33, 17)] {
        let (table, tv) = c.input(&[rows, cols], -4.0, 4.0)?;
        let ids = c.ids(n, rows as u32);
        let want = reference::gather(&tv, rows, cols, &ids).expect("ids are in range");
        c.check(
            &format!("gather [{rows}, {cols}] by {n} u32 ids"),
            &table.gather_rows_host(&ids, &[n])?,
            &want,
            Tolerance::EXACT,
        )?;
        let signed: Vec<i32> = ids.iter().map(|&i| i as i32).collect();
        let id_tensor = Tensor::from_slice(c.device(), &signed, &[n])?;
        let host: Vec<i64> = signed.iter().map(|&i| i64::from(i)).collect();
        c.check(
            &format!("gather [{rows}, {cols}] by {n} i32 ids"),
            &table.gather_known_rows(&id_tensor, &host)?,
            &want,
            Tolerance::EXACT,
        )?;
    }
    Ok(())
}
