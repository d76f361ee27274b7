//! Q4_1, Q5_0 and Q5_1 on the CPU: ggml's reference quantizers
//! (`quantize_row_q4_1_ref`, `quantize_row_q5_0_ref`, `quantize_row_q5_1_ref`)
//! and dequantizers (`dequantize_row_q4_1` etc.), with the same f32 operations
//! in the same order, so both agree bit for bit with gguf-py's
//! `gguf.quants` (checked on `tests/data/quant/q4_1_q5.json`). Q4_1 lives
//! here with the 5-bit formats because it shares Q5_1's rule: a block's
//! values are `code * d + m`, the range `[min, max]` cut into 15 or 31 steps.
//!
//! Blocks hold 32 values; layouts on `QuantFormat`.

use super::cpu::f16_at;
use half::f16;

/// Values of a block.
const QK: usize = 32;

/// `code` (an integer-valued f32) truncated towards zero and clamped to
/// `0..=max`, as ggml's `MIN(max, (int8_t)code)` / gguf-py's
/// `trunc(..).astype(uint8).clip(0, max)` for the codes these quantizers make
/// (at most `max + 1` from finite input; non-finite input gives 0 or `max`).
fn code(v: f32, max: u8) -> u8 {
    (v as i32).clamp(0, max as i32) as u8
}

/// The f16 bits of `v` (round to nearest even), little-endian.
fn f16_le(v: f32) -> [u8; 2] {
    f16::from_f32(v).to_bits().to_le_bytes()
}

/// Codes `q` (32, below 32) as a Q5 block's `qh` (bit `i` = bit 4 of code
/// `i`) and 16 bytes of low nibbles (code `j` low, code `j + 16` high).
fn push_q5_codes(q: &[u8; QK], out: &mut Vec<u8>) {
    let qh = (0..QK).fold(0u32, |h, i| h | (((q[i] >> 4) & 1) as u32) << i);
    out.extend_from_slice(&qh.to_le_bytes());
    out.extend((0..QK / 2).map(|j| (q[j] & 0xF) | (q[j + 16] & 0xF) << 4));
}

/// The range of `x`: (min, max), starting from (f32::MAX, -f32::MAX) as ggml.
fn min_max(x: &[f32]) -> (f32, f32) {
    x.iter().fold((f32::MAX, -f32::MAX), |(lo, hi), &v| {
        (if v < lo { v } else { lo }, if v > hi { v } else { hi })
    })
}

/// `(d, 1 / d)` (`1 / d` is 0 when `d` is 0), f32.
fn scale_and_inverse(d: f32) -> (f32, f32) {
    (d, if d != 0.0 { 1.0 / d } else { 0.0 })
}

/// One Q4_1 or Q5_1 block (32 values, `steps` = 15 or 31) as codes: `d =
/// (max - min) / steps`, `code = min(steps, trunc((x - min) * (1 / d) +
/// 0.5))`; returns the codes and the f16 `d` and `min` stored.
fn min_codes(x: &[f32], steps: u8) -> ([u8; QK], [u8; 2], [u8; 2]) {
    let (min, max) = min_max(x);
    let (d, id) = scale_and_inverse((max - min) / steps as f32);
    let mut q = [0u8; QK];
    for (q, &v) in q.iter_mut().zip(x) {
        *q = code((v - min) * id + 0.5, steps);
    }
    (q, f16_le(d), f16_le(min))
}

/// One Q4_1 block of 32 values appended to `out` (20 bytes: `d`, `m`, `qs`).
pub(super) fn quantize_q4_1(x: &[f32], out: &mut Vec<u8>) {
    let (q, d, m) = min_codes(x, 15);
    out.extend_from_slice(&d);
    out.extend_from_slice(&m);
    out.extend((0..QK / 2).map(|j| q[j] | q[j + 16] << 4));
}

/// One Q5_1 block of 32 values appended to `out` (24 bytes: `d`, `m`, `qh`, `qs`).
pub(super) fn quantize_q5_1(x: &[f32], out: &mut Vec<u8>) {
    let (q, d, m) = min_codes(x, 31);
    out.extend_from_slice(&d);
    out.extend_from_slice(&m);
    push_q5_codes(&q, out);
}

/// One Q5_0 block of 32 values appended to `out` (22 bytes: `d`, `qh`, `qs`).
/// As Q4_0 with 5 bits: `max` is the value of largest magnitude (its sign
/// kept, the first one on ties), `d = max / -16`, `code = min(31, trunc(x *
/// (1 / d) + 16.5))`.
pub(super) fn quantize_q5_0(x: &[f32], out: &mut Vec<u8>) {
    let (mut amax, mut max) = (0.0f32, 0.0f32);
    for &v in x {
        if amax < v.abs() {
            amax = v.abs();
            max = v;
        }
    }
    let (d, id) = scale_and_inverse(max / -16.0);
    let mut q = [0u8; QK];
    for (q, &v) in q.iter_mut().zip(x) {
        *q = code(v * id + 16.5, 31);
    }
    out.extend_from_slice(&f16_le(d));
    push_q5_codes(&q, out);
}

/// The 5-bit code of value `i` of a Q5 block from its `qh` word and `qs`
/// bytes.
fn q5_code(qh: u32, qs: &[u8], i: usize) -> u8 {
    let nibble = match i < 16 {
        true => qs[i] & 0xF,
        false => qs[i - 16] >> 4,
    };
    nibble | (((qh >> i) & 1) as u8) << 4
}

/// The little-endian u32 at byte `at` of `bytes`.
fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// One Q4_1 block (20 bytes) dequantized onto `out`: `code * d + m`.
pub(super) fn dequantize_q4_1(block: &[u8], out: &mut Vec<f32>) {
    let (d, m, qs) = (f16_at(block, 0), f16_at(block, 2), &block[4..20]);
    out.extend(qs.iter().map(|&q| (q & 0xF) as f32 * d + m));
    out.extend(qs.iter().map(|&q| (q >> 4) as f32 * d + m));
}

/// One Q5_0 block (22 bytes) dequantized onto `out`: `(code - 16) * d`.
pub(super) fn dequantize_q5_0(block: &[u8], out: &mut Vec<f32>) {
    let (d, qh, qs) = (f16_at(block, 0), u32_at(block, 2), &block[6..22]);
    out.extend((0..QK).map(|i| (q5_code(qh, qs, i) as i32 - 16) as f32 * d));
}

/// One Q5_1 block (24 bytes) dequantized onto `out`: `code * d + m`.
pub(super) fn dequantize_q5_1(block: &[u8], out: &mut Vec<f32>) {
    let (d, m) = (f16_at(block, 0), f16_at(block, 2));
    let (qh, qs) = (u32_at(block, 4), &block[8..24]);
    out.extend((0..QK).map(|i| q5_code(qh, qs, i) as f32 * d + m));
}

#[cfg(test)]
#[path = "cpu_q5_tests.rs"]
mod tests;
