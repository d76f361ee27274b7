//! [`QuantMatrix`]: an `n x k` GGML-quantized weight on the device, repacked
//! from the file's blocks into 4-byte-aligned buffers.

use super::cpu::{dequantize_rows, groups_per_row};
use crate::error::{Error, Result, ShapeError};
use crate::tensor::Tensor;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::{DType, QuantFormat};

/// A weight of `rows` × `cols` values (a GGML tensor of dims `[cols, rows]`:
/// `rows` rows of `cols / 32` blocks, or `cols / 256` super-blocks for the K
/// formats) that stays quantized on the device.
///
/// Device layout (see [`QuantFormat`]): `quants`, each group's bytes without
/// its leading f16 fields in file order ([`QuantFormat::quant_bytes`]: 32
/// bytes per Q8_0 block, 16 per Q4_0 or Q4_1 block, 20 per Q5_0 or Q5_1
/// block, 64 per F16 or BF16 block, 144 per Q4_K super-block, and 224 per Q6_K
/// super-block: its 210 bytes and 14 zero bytes of padding), zero-padded as a
/// whole to a multiple of 16 bytes; and `scales`, the leading f16 fields in
/// the same order ([`QuantFormat::scale_bytes`]): the Q8_0 / Q4_0 / Q5_0
/// scales two per `u32` (the low half first, the last word zero-padded), the
/// Q4_1 / Q5_1 scale and min one pair per `u32` (scale low), and one zero
/// word for the formats without separate fields. Both are u32 tensors; the
/// kernels read the quants as `vec4<u32>` (Q5_0 / Q5_1 word by word) and the
/// scales with `unpack2x16float`.
#[derive(Clone, Debug)]
pub struct QuantMatrix {
    format: QuantFormat,
    rows: usize,
    cols: usize,
    quants: Tensor,
    scales: Tensor,
}

impl QuantMatrix {
    /// Upload `n_rows` rows of `k` values stored as ggml `format` blocks
    /// (`bytes`: `n_rows * k / group` groups of [`QuantFormat::group_bytes`],
    /// row-major, as in a GGUF file).
    /// Errors: `k` not a positive multiple of the format's group (32, or 256
    /// for the K formats), no rows, a byte count other than the groups'
    /// (shape errors); sizes that overflow or exceed the device's bindings
    /// (`TooLarge`); device failures.
    pub fn from_ggml_bytes(
        device: &Arc<dyn Device>,
        format: QuantFormat,
        n_rows: usize,
        k: usize,
        bytes: &[u8],
    ) -> Result<QuantMatrix> {
        let op = "quant_matrix";
        let per_row = groups_per_row(format, k, op)?;
        if n_rows == 0 {
            return Err(ShapeError::new(op, "a weight needs at least one row", &[&[0, k]]).into());
        }
        let too_large = || Error::TooLarge {
            op,
            message: format!("{n_rows} rows of {k} {format} values"),
        };
        let groups = n_rows.checked_mul(per_row).ok_or_else(too_large)?;
        let expected = groups
            .checked_mul(format.group_bytes())
            .ok_or_else(too_large)?;
        // The device copy is a little larger than the file's (Q6_K padding,
        // whole vec4s at the end).
        let quant_len = groups
            .checked_mul(format.quant_bytes())
            .and_then(|n| n.checked_next_multiple_of(16))
            .ok_or_else(too_large)?;
        // The kernels bind the quants whole; a larger matrix is held as row
        // blocks by `Weight::quantized`.
        let limit = crate::tensor::binding_limit(device);
        if quant_len as u64 > limit {
            return Err(Error::TooLarge {
                op,
                message: format!(
                    "{n_rows} rows of {k} {format} values take {quant_len} bytes; the device \
                     binds at most {limit} (Weight::quantized splits them into row blocks)"
                ),
            });
        }
        if bytes.len() != expected {
            let msg = format!(
                "{} bytes given; {n_rows} rows of {k} {format} values take {expected}",
                bytes.len()
            );
            return Err(ShapeError::new(op, msg, &[&[n_rows, k], &[bytes.len()]]).into());
        }
        let (s, q) = (format.scale_bytes(), format.quant_bytes());
        let mut quants = Vec::with_capacity(quant_len);
        let mut scales = Vec::with_capacity(groups.div_ceil(2) * 2 * s);
        for group in bytes.chunks_exact(format.group_bytes()) {
            scales.extend_from_slice(&group[..s]);
            quants.extend_from_slice(&group[s..]);
            // Zero padding up to the group's device size.
            quants.resize(quants.len() + q - (group.len() - s), 0);
        }
        // Whole vec4<u32>: the kernels bind the quants as such.
        quants.resize(quant_len, 0);
        // Whole words; formats without scale fields still bind one word.
        scales.resize((scales.len().div_ceil(4) * 4).max(4), 0);
        Ok(QuantMatrix {
            format,
            rows: n_rows,
            cols: k,
            quants: upload_words(device, &quants, op)?,
            scales: upload_words(device, &scales, op)?,
        })
    }

    /// Block format.
    pub fn format(&self) -> QuantFormat {
        self.format
    }

    /// Rows (`n`: output features of `x · Wᵀ`, or table entries).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Values per row (`k`: input features).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Blocks per row as the kernels count them (`cols / 32`, in every
    /// format: a K super-block is 8 blocks).
    pub fn blocks_per_row(&self) -> usize {
        self.cols / self.format.block_values()
    }

    /// The device holding the weight.
    pub fn device(&self) -> &Arc<dyn Device> {
        self.quants.device()
    }

    /// Bytes the weight takes on the device (quants and scales).
    pub fn gpu_bytes(&self) -> usize {
        4 * (self.quants.numel() + self.scales.numel())
    }

    /// The quant words (u32 tensor), as the kernels bind them.
    pub(crate) fn quants(&self) -> &Tensor {
        &self.quants
    }

    /// The packed f16 scales (u32 tensor), as the kernels bind them.
    pub(crate) fn scales(&self) -> &Tensor {
        &self.scales
    }

    /// Read the weight back as ggml blocks: the bytes it was made from (the
    /// device's padding dropped).
    pub fn to_ggml_bytes(&self) -> Result<Vec<u8>> {
        let quants = read_bytes(&self.quants)?;
        let scales = read_bytes(&self.scales)?;
        let (q, s) = (self.format.quant_bytes(), self.format.scale_bytes());
        let kept = self.format.group_bytes() - s;
        // rows * cols fit in memory: the upload held them.
        let groups = self.rows * (self.cols / self.format.group_values());
        let mut out = Vec::with_capacity(groups * self.format.group_bytes());
        for (g, group) in quants.chunks_exact(q).take(groups).enumerate() {
            out.extend_from_slice(&scales[s * g..s * (g + 1)]);
            out.extend_from_slice(&group[..kept]);
        }
        Ok(out)
    }

    /// Read the weight back and dequantize it on the CPU: `rows * cols` f32
    /// values, row-major (for tests and references).
    pub fn dequantize_to_f32(&self) -> Result<Vec<f32>> {
        dequantize_rows(self.format, &self.to_ggml_bytes()?, self.cols)
    }
}

/// `bytes` (a multiple of 4 long) as a new u32 tensor.
fn upload_words(device: &Arc<dyn Device>, bytes: &[u8], op: &'static str) -> Result<Tensor> {
    let t = Tensor::uninit(device, DType::U32, &[bytes.len() / 4], op)?;
    device.write(t.buffer(), 0, bytes)?;
    Ok(t)
}

/// The raw bytes of a contiguous u32 tensor at offset 0.
fn read_bytes(t: &Tensor) -> Result<Vec<u8>> {
    Ok(t.device().read(t.buffer(), 0, 4 * t.numel() as u64)?)
}
