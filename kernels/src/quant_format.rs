//! The GGML block formats the quantized kernels read: what a block holds in a
//! GGUF file and how the kernels lay it out on the device.
//!
//! The kernels see every format as rows of 32-value *blocks* (block `b` of a
//! matrix is block `b % blocks_per_row` of row `b / blocks_per_row`). A file
//! stores a row as *groups*: one group is one block for the 32-value formats
//! and one 256-value super-block (8 blocks) for the K formats, so rows must be
//! a whole number of groups ([`QuantFormat::group_values`]).
//!
//! The 32-value formats; the quantized ones start with an f16 scale `d`, and
//! Q4_1 / Q5_1 with an f16 min `m` after it:
//! - Q8_0 (34 bytes): `d`, then 32 × i8 `qs`; value `i` is `d * qs[i]`.
//! - Q4_0 (18 bytes): `d`, then 16 bytes `qs`; value `j < 16` is
//!   `d * ((qs[j] & 0xF) - 8)` and value `j + 16` is `d * ((qs[j] >> 4) - 8)`.
//! - Q4_1 (20 bytes): `d`, `m`, then 16 bytes `qs`; value `j < 16` is
//!   `(qs[j] & 0xF) * d + m` and value `j + 16` is `(qs[j] >> 4) * d + m`.
//! - Q5_0 (22 bytes): `d`, then `qh` (a little-endian u32) and 16 bytes `qs`;
//!   the 5-bit code of value `j < 16` is `(qs[j] & 0xF) | ((qh >> j) & 1) << 4`
//!   and of value `j + 16` is `(qs[j] >> 4) | ((qh >> (j + 16)) & 1) << 4`;
//!   a value is `d * (code - 16)`.
//! - Q5_1 (24 bytes): `d`, `m`, `qh`, `qs` as Q5_0; a value is `code * d + m`.
//! - F16 (64 bytes) is ggml's plain half-precision type cut into blocks:
//!   32 f16 values, no scale. It runs through the same kernels, so f16 weights
//!   stay f16 on the device while activations stay f32.
//! - BF16 (64 bytes) is ggml's BF16 (bfloat16: the high half of an f32) cut
//!   into blocks the same way: 32 bf16 values, no scale. The kernels widen a
//!   value exactly with `bitcast<f32>(bits << 16)`, so bf16 weights stay bf16
//!   on the device (half the bytes of f32) and need no f16 support.
//!
//! The K formats (ggml's `block_q4_K` / `block_q6_K`, 256 values each):
//! - Q4_K (144 bytes): `d` and `dmin` (f16), `scales[12]`, `qs[128]`. The 12
//!   bytes pack eight 6-bit scales `sc` and eight 6-bit mins `m`: for `j < 4`,
//!   `sc[j] = scales[j] & 63` and `m[j] = scales[j + 4] & 63`; for `j >= 4`,
//!   `sc[j] = (scales[j + 4] & 0xF) | (scales[j - 4] >> 6) << 4` and
//!   `m[j] = (scales[j + 4] >> 4) | (scales[j] >> 6) << 4`. Sub-block `j`
//!   (values `32j .. 32j + 32`) reads the low nibbles of `qs[32(j/2) ..][..32]`
//!   for even `j` and the high ones for odd `j`: value `(d·sc[j])·q − dmin·m[j]`.
//! - Q6_K (210 bytes): `ql[128]`, `qh[64]`, `scales[16]` (i8), `d` (f16, last).
//!   Value `v = 128n + 32g + l` (`n < 2`, `g < 4`, `l < 32`) is
//!   `(d·scales[v / 16])·(q − 32)`, where `v / 16 = 8n + 2g + l/16` and the
//!   6-bit `q` is nibble `g / 2` (low first) of `ql[64n + 32(g % 2) + l]`,
//!   with bits `2g` and `2g + 1` of `qh[32n + l]` as its bits 4 and 5.
//!
//! On the device a matrix of `n` rows × `k` values is two storage buffers (see
//! the runtime's `QuantMatrix`):
//! - `qs`: every group without its leading f16 fields (Q8_0, Q4_0, Q5_0: `d`;
//!   Q4_1, Q5_1: `d` and `m`, which go to `scales`; F16, BF16 and the K formats keep
//!   all their bytes), unchanged and in file order (row-major over rows, then
//!   groups), each zero-padded to [`QuantFormat::quant_bytes`], a multiple of
//!   4. The kernels bind `qs` as `vec4<u32>`: one Q4_0 or Q4_1 block, half a
//!   Q8_0 block, a quarter of an F16 or BF16 block; a Q4_K super-block is 9
//!   `vec4<u32>` with no padding, a Q6_K super-block 14 (210 bytes and 14 zero
//!   bytes). A Q5_0 / Q5_1 block is 5 words (`qh`, then `qs`) with no padding,
//!   so its blocks straddle `vec4`s and the kernels read it word by word
//!   (word `w` as `qs[w / 4][w % 4]`). The buffer as a whole is zero-padded to
//!   a multiple of 16 bytes (whole `vec4<u32>`).
//! - `scales`: the [scale fields](QuantFormat::scale_bytes) in the same order:
//!   the Q8_0 / Q4_0 / Q5_0 f16 `d`s two per `u32` (block `b` in the low half
//!   of word `b / 2` when `b` is even), the Q4_1 / Q5_1 (`d`, `m`) pairs one
//!   per `u32` (`d` in the low half of word `b`), read with
//!   `unpack2x16float`. F16, BF16 and the K formats bind one zero word that the
//!   kernels never read.
//!
//! So the device holds exactly the file's bytes, plus at most 2 bytes of
//! padding after the last scale and 12 after the last quant word, the one
//! unread scale word, and Q6_K's 14 bytes per super-block.

use std::fmt;

/// Values per block, the unit the kernels unpack, in every supported format.
pub const QUANT_BLOCK_VALUES: usize = 32;

/// A GGML block-quantized format.
#[allow(non_camel_case_types)] // ggml's names: Q4_K, Q6_K
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QuantFormat {
    /// 32 values: f16 scale, 32 × i8.
    Q8_0,
    /// 32 values: f16 scale, 16 bytes of 4-bit quants (offset by 8).
    Q4_0,
    /// 32 f16 values, no scale (ggml's F16 in blocks).
    F16,
    /// 256 values: f16 `d` and `dmin`, 8 six-bit scales and mins, 4-bit quants.
    Q4_K,
    /// 256 values: 6-bit quants (offset by 32), 16 i8 scales, f16 `d`.
    Q6_K,
    /// 32 values: f16 scale and min, 16 bytes of 4-bit quants.
    Q4_1,
    /// 32 values: f16 scale, 32 high bits, 16 bytes of low nibbles: 5-bit
    /// quants offset by 16.
    Q5_0,
    /// 32 values: f16 scale and min, 32 high bits, 16 bytes of low nibbles.
    Q5_1,
    /// 32 bf16 values, no scale (ggml's BF16 in blocks).
    BF16,
}

impl QuantFormat {
    /// Every format.
    pub const ALL: [QuantFormat; 9] = [
        QuantFormat::Q8_0,
        QuantFormat::Q4_0,
        QuantFormat::F16,
        QuantFormat::Q4_K,
        QuantFormat::Q6_K,
        QuantFormat::Q4_1,
        QuantFormat::Q5_0,
        QuantFormat::Q5_1,
        QuantFormat::BF16,
    ];

    /// Values per block as the kernels see it (32 in every format).
    pub const fn block_values(self) -> usize {
        QUANT_BLOCK_VALUES
    }

    /// Values per group, the unit a file stores: 32 (one block), or 256 for
    /// the K formats (a super-block of 8 blocks). Rows hold a positive
    /// multiple of it.
    pub const fn group_values(self) -> usize {
        match self {
            QuantFormat::Q8_0
            | QuantFormat::Q4_0
            | QuantFormat::F16
            | QuantFormat::BF16
            | QuantFormat::Q4_1
            | QuantFormat::Q5_0
            | QuantFormat::Q5_1 => QUANT_BLOCK_VALUES,
            QuantFormat::Q4_K | QuantFormat::Q6_K => 8 * QUANT_BLOCK_VALUES,
        }
    }

    /// Bytes of one group in a GGUF file: 34, 18, 64, 144, 210, and 20, 22,
    /// 24 for Q4_1, Q5_0, Q5_1, 64 for BF16.
    pub const fn group_bytes(self) -> usize {
        match self {
            QuantFormat::Q8_0 => 34,
            QuantFormat::Q4_0 => 18,
            QuantFormat::F16 | QuantFormat::BF16 => 64,
            QuantFormat::Q4_K => 144,
            QuantFormat::Q6_K => 210,
            QuantFormat::Q4_1 => 20,
            QuantFormat::Q5_0 => 22,
            QuantFormat::Q5_1 => 24,
        }
    }

    /// Bytes of the f16 fields at the start of a group that the device keeps
    /// in the `scales` buffer: 2 (`d`) for Q8_0 / Q4_0 / Q5_0, 4 (`d` and
    /// `m`, one word) for Q4_1 / Q5_1, else 0 (F16 and BF16 have no scale, the K
    /// formats keep theirs inside the group).
    pub const fn scale_bytes(self) -> usize {
        match self {
            QuantFormat::Q8_0 | QuantFormat::Q4_0 | QuantFormat::Q5_0 => 2,
            QuantFormat::Q4_1 | QuantFormat::Q5_1 => 4,
            QuantFormat::F16 | QuantFormat::BF16 | QuantFormat::Q4_K | QuantFormat::Q6_K => 0,
        }
    }

    /// Bytes one group takes in the device's `qs` buffer: the group without
    /// its [scale fields](Self::scale_bytes), a multiple of 4. Formats whose
    /// kernels read whole `vec4<u32>` per group are zero-padded to a multiple
    /// of 16 (32, 16, 64, 144, 224 for Q6_K, 16 for Q4_1); the 20 bytes of
    /// Q5_0 / Q5_1 are 5 words with no padding, read word by word.
    pub const fn quant_bytes(self) -> usize {
        let bytes = self.group_bytes() - self.scale_bytes();
        match self {
            QuantFormat::Q5_0 | QuantFormat::Q5_1 => bytes,
            _ => bytes.div_ceil(16) * 16,
        }
    }

    /// Lower-case name used in kernel keys: `q8_0`, `q4_0`, `f16`, `q4_k`,
    /// `q6_k`, `q4_1`, `q5_0`, `q5_1`, `bf16`.
    pub const fn name(self) -> &'static str {
        match self {
            QuantFormat::Q8_0 => "q8_0",
            QuantFormat::Q4_0 => "q4_0",
            QuantFormat::F16 => "f16",
            QuantFormat::Q4_K => "q4_k",
            QuantFormat::Q6_K => "q6_k",
            QuantFormat::Q4_1 => "q4_1",
            QuantFormat::Q5_0 => "q5_0",
            QuantFormat::Q5_1 => "q5_1",
            QuantFormat::BF16 => "bf16",
        }
    }

    /// The WGSL snippet that unpacks this format's blocks (`block_values`,
    /// `block_quad`, `block_scale`; it reads the kernel's `qs` and `scales`
    /// bindings).
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
            QuantFormat::BF16 => include_str!("wgsl/bf16_blocks.wgsl"),
            QuantFormat::Q4_K => include_str!("wgsl/q4_k.wgsl"),
            QuantFormat::Q6_K => include_str!("wgsl/q6_k.wgsl"),
            QuantFormat::Q4_1 => concat!(
                include_str!("wgsl/q4_1.wgsl"),
                include_str!("wgsl/q_scale_min.wgsl")
            ),
            QuantFormat::Q5_0 => concat!(
                include_str!("wgsl/q5_codes.wgsl"),
                include_str!("wgsl/q5_0.wgsl"),
                include_str!("wgsl/q_scale.wgsl")
            ),
            QuantFormat::Q5_1 => concat!(
                include_str!("wgsl/q5_codes.wgsl"),
                include_str!("wgsl/q5_1.wgsl"),
                include_str!("wgsl/q_scale_min.wgsl")
            ),
        }
    }
}

impl fmt::Display for QuantFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
