//! Weight matrices read from a checkpoint but not yet on the device, so that
//! loaders can stack several of them by rows (q, k and v; gate and up) into one
//! matrix: one matmul instead of three or two on every token.

use crate::error::{Result, ShapeError};
use crate::ops::Weight;
use crate::quant::{row_bytes, QuantFormat};
use std::sync::Arc;
use tessera_hal::Device;

/// How a [`HostMatrix`] stores its values.
#[derive(Clone, Debug, PartialEq)]
pub enum HostData {
    /// f32 values, row-major.
    F32(Vec<f32>),
    /// Rows of GGML blocks in `format`, as in a GGUF file.
    Blocks(QuantFormat, Vec<u8>),
}

/// A `[rows, cols]` matrix in host memory.
#[derive(Clone, Debug, PartialEq)]
pub struct HostMatrix {
    /// Rows (output features).
    pub rows: usize,
    /// Columns (input features).
    pub cols: usize,
    /// The values.
    pub data: HostData,
}

impl HostMatrix {
    /// f32 values, checked against the shape.
    pub fn f32(rows: usize, cols: usize, values: Vec<f32>) -> Result<HostMatrix> {
        if Some(values.len()) != rows.checked_mul(cols) {
            let msg = format!("{} values for {rows} x {cols}", values.len());
            return Err(ShapeError::new("host_matrix", msg, &[&[rows, cols]]).into());
        }
        Ok(HostMatrix {
            rows,
            cols,
            data: HostData::F32(values),
        })
    }

    /// GGML blocks, checked against the shape.
    pub fn blocks(
        format: QuantFormat,
        rows: usize,
        cols: usize,
        bytes: Vec<u8>,
    ) -> Result<HostMatrix> {
        let expected = rows.checked_mul(row_bytes(format, cols)?);
        if Some(bytes.len()) != expected {
            let msg = format!("{} bytes for {rows} x {cols} {format}", bytes.len());
            return Err(ShapeError::new("host_matrix", msg, &[&[rows, cols]]).into());
        }
        Ok(HostMatrix {
            rows,
            cols,
            data: HostData::Blocks(format, bytes),
        })
    }

    /// Append `other`'s rows below `self`'s when both have the same width and
    /// storage (f32, or one block format); otherwise give `other` back.
    fn try_append(&mut self, other: HostMatrix) -> Option<HostMatrix> {
        if self.cols != other.cols {
            return Some(other);
        }
        match (&mut self.data, other.data) {
            (HostData::F32(a), HostData::F32(b)) => a.extend(b),
            (HostData::Blocks(fa, a), HostData::Blocks(fb, b)) if *fa == fb => a.extend(b),
            (_, data) => return Some(HostMatrix { data, ..other }),
        }
        self.rows += other.rows;
        None
    }

    /// Upload (split by rows when beyond one storage binding).
    pub fn upload(&self, device: &Arc<dyn Device>) -> Result<Weight> {
        match &self.data {
            HostData::F32(values) => Weight::dense(device, values, self.rows, self.cols),
            HostData::Blocks(format, bytes) => {
                Weight::quantized(device, *format, self.rows, self.cols, bytes)
            }
        }
    }
}

/// `parts` stacked by rows into one device matrix: neighbours with the same
/// storage and width are merged on the host, so parts of one format become a
/// single matrix; a mix (say Q4_K q and k over a Q6_K v) becomes
/// [`Weight::Rows`] of the merged runs. Errors: no parts, parts of
/// different widths, device failures.
pub fn upload_stacked(device: &Arc<dyn Device>, parts: Vec<HostMatrix>) -> Result<Weight> {
    let mut runs: Vec<HostMatrix> = Vec::new();
    for part in parts {
        if let Some(first) = runs.first() {
            if first.cols != part.cols {
                let msg = "stacked matrices must have the same number of columns";
                let shapes: [&[usize]; 2] = [&[first.rows, first.cols], &[part.rows, part.cols]];
                return Err(ShapeError::new("stack_rows", msg, &shapes).into());
            }
        }
        let unmerged = match runs.last_mut() {
            Some(last) => last.try_append(part),
            None => Some(part),
        };
        runs.extend(unmerged);
    }
    let mut uploaded = runs
        .iter()
        .map(|run| run.upload(device))
        .collect::<Result<Vec<_>>>()?;
    match uploaded.len() {
        0 => Err(ShapeError::new("stack_rows", "nothing to stack", &[]).into()),
        1 => Ok(uploaded.remove(0)),
        _ => Ok(Weight::Rows(uploaded)),
    }
}
