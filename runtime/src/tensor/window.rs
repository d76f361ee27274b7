//! Tensors larger than one storage binding. A tensor's buffer may hold up to
//! the adapter's `max_buffer_size`; a dispatch binds at most
//! `max_storage_buffer_binding_size` of it (capped by
//! `TESSERA_MAX_BINDING_BYTES` or [`tessera_hal::DeviceOptions`]). An op whose
//! operand does not [fit](Tensor::fits_binding) runs over row blocks of it,
//! each a [windowed](Tensor::windowed) view: the same elements, bound from an
//! aligned offset of the buffer, with the view's offset made relative to it.

use super::Tensor;
use crate::error::{Error, Result};
use std::sync::Arc;
use tessera_hal::Device;

/// The largest storage binding the runtime plans with on `device`, in bytes.
pub fn binding_limit(device: &Arc<dyn Device>) -> u64 {
    device.adapter().limits.max_storage_buffer_binding_size
}

/// The alignment of a binding's offset on `device`, in bytes.
pub(crate) fn binding_alignment(device: &Arc<dyn Device>) -> u64 {
    u64::from(device.adapter().limits.min_storage_buffer_offset_alignment).max(4)
}

impl Tensor {
    /// Whether a kernel can bind this tensor's buffer whole: the split
    /// decision, one comparison.
    pub fn fits_binding(&self) -> bool {
        self.buffer.size() <= binding_limit(&self.device)
    }

    /// Elements from the view's first to its last, inclusive (0 when empty).
    fn span_elements(&self) -> usize {
        if self.numel() == 0 {
            return 0;
        }
        1 + self
            .shape
            .iter()
            .zip(&self.strides)
            .map(|(&d, &s)| (d - 1) * s)
            .sum::<usize>()
    }

    /// The same view over the smallest window of its buffer that holds its
    /// elements, starting at an aligned offset. A view that already fits one
    /// binding is returned as it is. Errors: a window past the binding limit
    /// (`TooLarge`, naming `op`).
    pub(crate) fn windowed(&self, op: &'static str) -> Result<Tensor> {
        if self.fits_binding() {
            return Ok(self.clone());
        }
        self.window(op)
    }

    /// The same view over the smallest aligned window of its buffer that
    /// holds its elements, even when the whole buffer fits (a kernel that
    /// indexes an operand from element 0, like a cache, then sees only the
    /// view). Errors: as [`Tensor::windowed`].
    pub(crate) fn window(&self, op: &'static str) -> Result<Tensor> {
        let size = self.dtype.size_in_bytes() as u64;
        let align = binding_alignment(&self.device);
        let start = self.offset as u64 * size;
        let base = start / align * align;
        let end = start + self.span_elements() as u64 * size;
        let limit = binding_limit(&self.device);
        if end - base > limit {
            return Err(Error::TooLarge {
                op,
                message: format!(
                    "a {:?} {} view spans {} bytes; the device binds at most {limit}",
                    self.shape,
                    self.dtype,
                    end - base
                ),
            });
        }
        // Bind whole words: a buffer is padded to 4 bytes, so this stays in it.
        let window_end = end.div_ceil(4) * 4;
        let buffer = self
            .buffer
            .window(base, window_end.min(self.buffer.size()) - base)
            .ok_or_else(|| Error::TooLarge {
                op,
                message: format!("a view reaches past its {}-byte buffer", self.buffer.size()),
            })?;
        Ok(Tensor {
            buffer,
            offset: ((start - base) / size) as usize,
            ..self.clone()
        })
    }

    /// Row blocks of this tensor along dim 0, in order, each
    /// [windowed](Tensor::windowed) to fit one binding: the operands of an op
    /// split by rows. A tensor that fits is one block. Errors: a rank-0
    /// tensor, or one row wider than a binding (`TooLarge`, naming `op`).
    pub(crate) fn row_windows(&self, op: &'static str) -> Result<Vec<Tensor>> {
        if self.fits_binding() {
            return Ok(vec![self.clone()]);
        }
        let rows = self.shape.first().copied().unwrap_or(0);
        let per_block = self.rows_per_window(op)?;
        (0..rows)
            .step_by(per_block)
            .map(|first| {
                let block = self.narrow(0, first..(first + per_block).min(rows))?;
                block.windowed(op)
            })
            .collect()
    }

    /// The most rows along dim 0 whose window fits one binding, whatever the
    /// block's first row (the aligned start costs up to one alignment).
    pub(crate) fn rows_per_window(&self, op: &'static str) -> Result<usize> {
        let too_large = |what: String| Error::TooLarge { op, message: what };
        let Some(&rows) = self.shape.first() else {
            return Err(too_large("a scalar larger than a binding".into()));
        };
        let size = self.dtype.size_in_bytes() as u64;
        let row = self.narrow(0, 0..rows.min(1))?.span_elements() as u64 * size;
        let stride = self.strides[0] as u64 * size;
        let room = binding_limit(&self.device).saturating_sub(binding_alignment(&self.device) + 4);
        if row > room || rows == 0 {
            return Err(too_large(format!(
                "one row of a {:?} {} tensor takes {row} bytes; the device binds at most {}",
                self.shape,
                self.dtype,
                binding_limit(&self.device)
            )));
        }
        // (r - 1) * stride + row <= room
        let extra = (room - row)
            .checked_div(stride)
            .map_or(usize::MAX, |r| usize::try_from(r).unwrap_or(usize::MAX));
        Ok(extra.saturating_add(1).min(rows))
    }

    /// Row `row` of dim 0 as a tensor without that dim (a view).
    pub(crate) fn drop_dim0(&self, row: usize) -> Tensor {
        Tensor {
            shape: self.shape[1..].to_vec(),
            strides: self.strides[1..].to_vec(),
            offset: self.offset + row * self.strides[0],
            ..self.clone()
        }
    }
}
