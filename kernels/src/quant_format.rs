//! The GGML block formats the quantized kernels read: what a block holds in a
//! GGUF file and how the kernels lay it out on the device.
//!
//! Both formats quantize 32 consecutive values of a row with one f16 scale `d`:
//! - Q8_0 (34 bytes): `d`, then 32 × i8 `qs`; value `i` is `d * qs[i]`.
//! - Q4_0 (18 bytes): `d`, then 16 bytes `qs`; value `j < 16` is
//!   `d * ((qs[j] & 0xF) - 8)` and value `j + 16` is `d * ((qs[j] >> 4) - 8)`.
//!
//! On the device a matrix of `n` rows × `k` values is two storage buffers (see
//! the runtime's `QuantMatrix`): the blocks' `qs` bytes, unchanged and in file
//! order (row-major over rows, then blocks), read as `vec4<u32>` (one Q4_0
//! block, half a Q8_0 block); and the f16 scales in the same order, two per
//! `u32` (block `b` in the low half of word `b / 2` when `b` is even), read with
//! `unpack2x16float`. Both are 4-byte aligned, and the device holds exactly the
//! file's bytes (plus at most 2 bytes of padding after the last scale).

use std::fmt;

/// Values per block in every supported format.
pub const QUANT_BLOCK_VALUES: usize = 32;

/// A GGML block-quantized format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QuantFormat {
    /// 32 values: f16 scale, 32 × i8.
    Q8_0,
    /// 32 values: f16 scale, 16 bytes of 4-bit quants (offset by 8).
    Q4_0,
}

impl QuantFormat {
    /// Both formats.
    pub const ALL: [QuantFormat; 2] = [QuantFormat::Q8_0, QuantFormat::Q4_0];

    /// Values per block (32).
    pub const fn block_values(self) -> usize {
        QUANT_BLOCK_VALUES
    }

    /// Bytes of one block in a GGUF file: the f16 scale and the quants.
    pub const fn block_bytes(self) -> usize {
        2 + self.quant_bytes()
    }

    /// Bytes of quants per block (the block without its scale).
    pub const fn quant_bytes(self) -> usize {
        match self {
            QuantFormat::Q8_0 => 32,
            QuantFormat::Q4_0 => 16,
        }
    }

    /// Lower-case name used in kernel keys: `q8_0`, `q4_0`.
    pub const fn name(self) -> &'static str {
        match self {
            QuantFormat::Q8_0 => "q8_0",
            QuantFormat::Q4_0 => "q4_0",
        }
    }

    /// The WGSL snippet that unpacks this format's quants (`block_values`,
    /// `block_quad`; it reads the kernel's `qs` binding).
    pub(crate) fn wgsl(self) -> &'static str {
        match self {
            QuantFormat::Q8_0 => include_str!("wgsl/q8_0.wgsl"),
            QuantFormat::Q4_0 => include_str!("wgsl/q4_0.wgsl"),
        }
    }
}

impl fmt::Display for QuantFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
