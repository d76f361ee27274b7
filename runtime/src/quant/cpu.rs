//! The CPU side of the GGML block formats: ggml's reference quantizers
//! (`quantize_row_q8_0_ref`, `quantize_row_q4_0_ref`, those of Q4_1 / Q5_0 /
//! Q5_1 in [`super::cpu_q5`], and rounding to f16 / bf16 for F16 / BF16), simpler
//! quantizers for the K formats ([`super::cpu_k`]), and ggml's dequantizers,
//! on rows of `k` values (a multiple of the format's group: 32, or 256 for
//! the K formats) laid out as consecutive groups.

use super::{cpu_k, cpu_q5};
use crate::error::{Error, Result, ShapeError};
use half::{bf16, f16};
use tessera_kernels::QuantFormat;

/// Bytes of one row of `k` values in `format` (`k / group` groups), or a shape
/// error unless `k` is a positive multiple of the format's
/// [group](QuantFormat::group_values) (32, or 256 for the K formats).
pub fn row_bytes(format: QuantFormat, k: usize) -> Result<usize> {
    checked_row_bytes(format, k, "row_bytes")
}

/// [`row_bytes`], errors naming `op`.
fn checked_row_bytes(format: QuantFormat, k: usize, op: &'static str) -> Result<usize> {
    Ok(groups_per_row(format, k, op)? * format.group_bytes())
}

/// Groups (blocks, or K super-blocks) in a row of `k` values, or a shape
/// error unless `k` is a positive multiple of the group size.
pub(crate) fn groups_per_row(format: QuantFormat, k: usize, op: &'static str) -> Result<usize> {
    let group = format.group_values();
    if k == 0 || !k.is_multiple_of(group) {
        let msg = format!("{format} rows need a positive multiple of {group} values, not {k}");
        return Err(ShapeError::new(op, msg, &[&[k]]).into());
    }
    Ok(k / group)
}

/// Quantize `values` (rows of `k` values, row-major) to `format`:
/// - Q8_0, Q4_0, Q4_1, Q5_0 and Q5_1 as ggml's reference quantizers do
///   (Q4_1 / Q5_0 / Q5_1 checked byte for byte against gguf-py): Q8_0 `d = amax / 127`,
///   `q = round(x / d)` (half away from zero); Q4_0 / Q5_0: `max` is the value
///   of largest magnitude (its sign kept, the first one on ties),
///   `d = max / -8` (`-16`), `q = min(15, trunc(x / d + 8.5))`
///   (`min(31, trunc(x / d + 16.5))`); Q4_1 / Q5_1: `d = (max - min) / 15`
///   (`/ 31`), `m = min`, `q = min(15, trunc((x - min) / d + 0.5))` (`31`);
///   with `x / d` computed as `x * (1 / d)` in f32 (0 where `d` is 0) and
///   `d`, `m` stored as f16;
/// - F16 rounds each value to nearest f16, BF16 to nearest bf16 (ties to
///   even, as ggml's `GGML_FP32_TO_BF16`; NaN stays NaN);
/// - Q4_K and Q6_K with a simple one-pass quantizer, *not* ggml's
///   search-based one (see `cpu_k`: every value within half a step of its
///   sub-block). Loading a GGUF file never quantizes; this serves tests and
///   random-weight benchmarks.
///
/// Errors when `k` is not a positive multiple of the format's group or
/// `values` is not whole rows.
pub fn quantize_rows(format: QuantFormat, values: &[f32], k: usize) -> Result<Vec<u8>> {
    let op = "quantize_rows";
    let row = checked_row_bytes(format, k, op)?;
    if !values.len().is_multiple_of(k) {
        let msg = format!("{} values are not whole rows of {k}", values.len());
        return Err(ShapeError::new(op, msg, &[&[values.len()], &[k]]).into());
    }
    let mut out = Vec::with_capacity(values.len() / k * row);
    for group in values.chunks_exact(format.group_values()) {
        match format {
            QuantFormat::Q8_0 => quantize_q8_0(group, &mut out),
            QuantFormat::Q4_0 => quantize_q4_0(group, &mut out),
            QuantFormat::F16 => out.extend(
                group
                    .iter()
                    .flat_map(|&v| f16::from_f32(v).to_bits().to_le_bytes()),
            ),
            QuantFormat::BF16 => out.extend(
                group
                    .iter()
                    .flat_map(|&v| bf16::from_f32(v).to_bits().to_le_bytes()),
            ),
            QuantFormat::Q4_K => cpu_k::quantize_q4_k(group, &mut out),
            QuantFormat::Q6_K => cpu_k::quantize_q6_k(group, &mut out),
            QuantFormat::Q4_1 => cpu_q5::quantize_q4_1(group, &mut out),
            QuantFormat::Q5_0 => cpu_q5::quantize_q5_0(group, &mut out),
            QuantFormat::Q5_1 => cpu_q5::quantize_q5_1(group, &mut out),
        }
    }
    Ok(out)
}

/// One Q8_0 block of 32 values appended to `out`.
fn quantize_q8_0(x: &[f32], out: &mut Vec<u8>) {
    let amax = x.iter().fold(0.0f32, |a, v| a.max(v.abs()));
    let d = amax / 127.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    out.extend_from_slice(&f16::from_f32(d).to_bits().to_le_bytes());
    // `as i8` saturates; |x * id| <= 127 up to rounding.
    out.extend(x.iter().map(|&v| (v * id).round() as i8 as u8));
}

/// One Q4_0 block of 32 values appended to `out`.
fn quantize_q4_0(x: &[f32], out: &mut Vec<u8>) {
    let (mut amax, mut max) = (0.0f32, 0.0f32);
    for &v in x {
        if amax < v.abs() {
            amax = v.abs();
            max = v;
        }
    }
    let d = max / -8.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    out.extend_from_slice(&f16::from_f32(d).to_bits().to_le_bytes());
    // x * id lies in [-8, 8], so x * id + 8.5 in [0.5, 16.5]: truncation gives
    // 0..=16 and the min keeps 15; the max only matters for non-finite input.
    let q = |v: f32| ((v * id + 8.5) as i8).clamp(0, 15) as u8;
    let (lo, hi) = x.split_at(16);
    out.extend(lo.iter().zip(hi).map(|(&a, &b)| q(a) | (q(b) << 4)));
}

/// Dequantize `bytes` (whole rows of `k` values in `format`) to f32, as
/// ggml's `dequantize_row_*` do, in f32 and in their order of operations:
/// Q8_0 / Q4_0 / Q5_0 `d * q` with `d` the block's f16 scale and `q` the
/// signed byte, the nibble minus 8 or the 5-bit code minus 16; Q4_1 / Q5_1
/// `q * d + m`; F16 and BF16 values widened; Q4_K `(d * sc) * q - dmin * m`; Q6_K
/// `(d * sc) * (q - 32)` (layouts on [`QuantFormat`]).
pub fn dequantize_rows(format: QuantFormat, bytes: &[u8], k: usize) -> Result<Vec<f32>> {
    let op = "dequantize_rows";
    let row = checked_row_bytes(format, k, op)?;
    if !bytes.len().is_multiple_of(row) {
        let msg = format!(
            "{} bytes are not whole rows of {k} {format} values ({row} bytes each)",
            bytes.len()
        );
        return Err(ShapeError::new(op, msg, &[&[bytes.len()], &[k]]).into());
    }
    let groups = bytes.len() / format.group_bytes();
    let values = groups
        .checked_mul(format.group_values())
        .ok_or_else(|| Error::TooLarge {
            op,
            message: format!("{groups} groups of {format}"),
        })?;
    let mut out = Vec::with_capacity(values);
    for group in bytes.chunks_exact(format.group_bytes()) {
        match format {
            QuantFormat::Q8_0 => {
                let d = f16_at(group, 0);
                out.extend(group[2..].iter().map(|&q| (q as i8) as f32 * d));
            }
            QuantFormat::Q4_0 => {
                let (d, qs) = (f16_at(group, 0), &group[2..]);
                out.extend(qs.iter().map(|&q| ((q & 0xF) as i32 - 8) as f32 * d));
                out.extend(qs.iter().map(|&q| ((q >> 4) as i32 - 8) as f32 * d));
            }
            QuantFormat::F16 => out.extend((0..group.len() / 2).map(|i| f16_at(group, 2 * i))),
            QuantFormat::BF16 => out.extend((0..group.len() / 2).map(|i| bf16_at(group, 2 * i))),
            QuantFormat::Q4_K => cpu_k::dequantize_q4_k(group, &mut out),
            QuantFormat::Q6_K => cpu_k::dequantize_q6_k(group, &mut out),
            QuantFormat::Q4_1 => cpu_q5::dequantize_q4_1(group, &mut out),
            QuantFormat::Q5_0 => cpu_q5::dequantize_q5_0(group, &mut out),
            QuantFormat::Q5_1 => cpu_q5::dequantize_q5_1(group, &mut out),
        }
    }
    Ok(out)
}

/// The little-endian bf16 at byte `at` of `bytes`, widened (exactly: its
/// bits are the high half of the f32's).
fn bf16_at(bytes: &[u8], at: usize) -> f32 {
    f32::from_bits(u32::from(u16::from_le_bytes([bytes[at], bytes[at + 1]])) << 16)
}

/// The little-endian f16 at byte `at` of `bytes`, widened.
pub(super) fn f16_at(bytes: &[u8], at: usize) -> f32 {
    f16::from_bits(u16::from_le_bytes([bytes[at], bytes[at + 1]])).to_f32()
}
