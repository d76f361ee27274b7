//! The GGML block formats the quantized kernels read: what a block holds in a
//! GGUF file and how the kernels lay it out on the device.
//!
//! Every format stores a row as blocks of 32 consecutive values. The two
//! quantized ones give each block one f16 scale `d`:
//! - Q8_0 (34 bytes): `d`, then 32 × i8 `qs`; value `i` is `d * qs[i]`.
//! - Q4_0 (18 bytes): `d`, then 16 bytes `qs`; value `j < 16` is
//!   `d * ((qs[j] & 0xF) - 8)` and value `j + 16` is `d * ((qs[j] >> 4) - 8)`.
//!
//! and F16 (64 bytes) is ggml's plain half-precision type cut into blocks:
//! 32 f16 values, no scale. It runs through the same kernels, so f16 weights
//! stay f16 on the device while activations stay f32.
//!
//! On the device a matrix of `n` rows × `k` values is two storage buffers (see
//! the runtime's `QuantMatrix`): the blocks' `qs` bytes (everything after the
//! scale), unchanged and in file order (row-major over rows, then blocks), read
//! as `vec4<u32>` (one Q4_0 block, half a Q8_0 block, a quarter of an F16
//! block); and the f16 scales in the same order, two per `u32` (block `b` in
//! the low half of word `b / 2` when `b` is even), read with
//! `unpack2x16float`. Both are 4-byte aligned, and the device holds exactly the
//! file's bytes (plus at most 2 bytes of padding after the last scale; F16's
//! scale buffer is one zero word that the kernels bind but never read).

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
    /// 32 f16 values, no scale (ggml's F16 in blocks).
    F16,
}

impl QuantFormat {
    /// Every format.
    pub const ALL: [QuantFormat; 3] = [QuantFormat::Q8_0, QuantFormat::Q4_0, QuantFormat::F16];

    /// Values per block (32).
    pub const fn block_values(self) -> usize {
        QUANT_BLOCK_VALUES
    }

    /// Bytes of one block in a GGUF file: the scale (if any) and the quants.
    pub const fn block_bytes(self) -> usize {
        self.scale_bytes() + self.quant_bytes()
    }

    /// Bytes of the block's scale at its start: 2 (an f16), or 0 for F16.
    pub const fn scale_bytes(self) -> usize {
        match self {
            QuantFormat::Q8_0 | QuantFormat::Q4_0 => 2,
            QuantFormat::F16 => 0,
        }
    }

    /// Bytes of quants per block (the block without its scale).
    pub const fn quant_bytes(self) -> usize {
        match self {
            QuantFormat::Q8_0 => 32,
            QuantFormat::Q4_0 => 16,
            QuantFormat::F16 => 64,
        }
    }

    /// Lower-case name used in kernel keys: `q8_0`, `q4_0`, `f16`.
    pub const fn name(self) -> &'static str {
        match self {
            QuantFormat::Q8_0 => "q8_0",
            QuantFormat::Q4_0 => "q4_0",
            QuantFormat::F16 => "f16",
        }
    }

    /// The WGSL snippet that unpacks this format's blocks (`QVEC`,
    /// `block_values`, `block_quad`, `block_scale`; it reads the kernel's `qs`
    /// and `scales` bindings).
    pub(crate) fn wgsl(self) -> &'static str {
        match self {
            QuantFormat::Q8_0 => concat!(
                include_str!("wgsl/q8_0.wgsl"),
                include_str!("wgsl/q_scale.wgsl")
            ),
            QuantFormat::Q4_0 => concat!(
                include_str!("wgsl/q4_0.wgsl"),
                include_str!("wgsl/q_scale.wgsl")
            ),
            QuantFormat::F16 => include_str!("wgsl/f16_blocks.wgsl"),
        }
    }
}

impl fmt::Display for QuantFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
