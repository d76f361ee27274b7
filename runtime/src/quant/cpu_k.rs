//! The K formats on the CPU: ggml's dequantizers (`dequantize_row_q4_K`,
//! `dequantize_row_q6_K`, same f32 operations in the same order) and a simple
//! one-pass quantizer for each.
//!
//! The quantizers are *not* ggml's search-based ones (`make_qkx2_quants`,
//! `make_qx_quants`), which pick scales by minimising a weighted error; loading
//! a GGUF file never quantizes. They exist for tests and random-weight
//! benchmarks and make valid blocks with a simple guarantee: every scale is
//! rounded *up* (the f16 super-block scales to the next f16, the 6-bit or
//! 8-bit sub-block scales to the next integer), so no value is clamped and
//! each dequantizes within half a step of its sub-block (`d·sc / 2`, plus f32
//! rounding). The cost is at most one unit of the 6-bit (Q4_K) or 8-bit
//! (Q6_K) sub-block scale more than the ideal step.

use super::cpu::f16_at;
use half::f16;

/// Values of a K super-block.
const QK_K: usize = 256;

/// The smallest f16 not below `v` (for `v >= 0`; infinity past the f16 range).
fn f16_at_least(v: f32) -> f16 {
    let h = f16::from_f32(v);
    if h.to_f32() < v {
        f16::from_bits(h.to_bits() + 1)
    } else {
        h
    }
}

/// `ceil(v / unit)` as a code in `0..=max` (0 when `unit` is 0).
fn code_at_least(v: f32, unit: f32, max: u8) -> u8 {
    if unit > 0.0 {
        (v / unit).ceil().clamp(0.0, max as f32) as u8
    } else {
        0
    }
}

/// One Q4_K super-block of 256 values appended to `out` (144 bytes).
///
/// Per sub-block `j` of 32: the offset `-min(0, min x)` and the top `max x`.
/// `dmin` is the largest offset / 63 and `m[j]` the offset in units of `dmin`,
/// both rounded up, so `o = dmin·m[j]` covers the sub-block's minimum; then
/// `d` is the largest `(top + o) / 15` over 63 and `sc[j]` that of `j` in
/// units of `d`, both rounded up, so `s = d·sc[j]` makes `15 s - o` reach
/// the top. Each value is `q = round((x + o) / s)` in `0..=15`.
pub(super) fn quantize_q4_k(x: &[f32], out: &mut Vec<u8>) {
    let mut offset = [0.0f32; 8];
    let mut top = [0.0f32; 8];
    for (j, sub) in x.chunks_exact(32).enumerate() {
        let min = sub.iter().fold(0.0f32, |a, &v| a.min(v));
        offset[j] = -min;
        top[j] = sub.iter().fold(f32::MIN, |a, &v| a.max(v));
    }
    let max_offset = offset.iter().fold(0.0f32, |a, &v| a.max(v));
    let dmin = f16_at_least(max_offset / 63.0);
    let m = offset.map(|o| code_at_least(o, dmin.to_f32(), 63));
    let o = m.map(|m| dmin.to_f32() * m as f32);
    let spread: [f32; 8] = std::array::from_fn(|j| ((top[j] + o[j]) / 15.0).max(0.0));
    let max_spread = spread.iter().fold(0.0f32, |a, &v| a.max(v));
    let d = f16_at_least(max_spread / 63.0);
    let sc = spread.map(|s| code_at_least(s, d.to_f32(), 63));
    let s = sc.map(|sc| d.to_f32() * sc as f32);
    let q: Vec<u8> = x
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let j = i / 32;
            if s[j] > 0.0 {
                ((v + o[j]) / s[j]).round().clamp(0.0, 15.0) as u8
            } else {
                0
            }
        })
        .collect();
    out.extend_from_slice(&d.to_bits().to_le_bytes());
    out.extend_from_slice(&dmin.to_bits().to_le_bytes());
    let mut scales = [0u8; 12];
    for j in 0..4 {
        scales[j] = sc[j] | (sc[j + 4] >> 4) << 6;
        scales[j + 4] = m[j] | (m[j + 4] >> 4) << 6;
        scales[j + 8] = (sc[j + 4] & 0xF) | (m[j + 4] & 0xF) << 4;
    }
    out.extend_from_slice(&scales);
    for c in 0..4 {
        out.extend((0..32).map(|l| q[64 * c + l] | q[64 * c + 32 + l] << 4));
    }
}

/// One Q6_K super-block of 256 values appended to `out` (210 bytes).
///
/// Per group `g` of 16 values the step `amax / 31`; `d` is the largest step
/// / 127 and `sc[g]` the step in units of `d`, both rounded up, so `s =
/// d·sc[g]` covers the group's largest magnitude in 31 steps. Each value is
/// `q = round(x / s)` in `-31..=31`, stored as `q + 32` (code 0, i.e. -32,
/// is not used).
pub(super) fn quantize_q6_k(x: &[f32], out: &mut Vec<u8>) {
    let mut step = [0.0f32; 16];
    for (g, group) in x.chunks_exact(16).enumerate() {
        step[g] = group.iter().fold(0.0f32, |a, &v| a.max(v.abs())) / 31.0;
    }
    let max_step = step.iter().fold(0.0f32, |a, &v| a.max(v));
    let d = f16_at_least(max_step / 127.0);
    let sc = step.map(|s| code_at_least(s, d.to_f32(), 127));
    let s = sc.map(|sc| d.to_f32() * sc as f32);
    let q: Vec<u8> = x
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let s = s[i / 16];
            let q = if s > 0.0 {
                (v / s).round().clamp(-32.0, 31.0) as i8
            } else {
                0
            };
            (q + 32) as u8
        })
        .collect();
    let mut ql = [0u8; 128];
    let mut qh = [0u8; 64];
    for n in 0..2 {
        for l in 0..32 {
            let v = |g: usize| q[128 * n + 32 * g + l];
            ql[64 * n + l] = (v(0) & 0xF) | (v(2) & 0xF) << 4;
            ql[64 * n + 32 + l] = (v(1) & 0xF) | (v(3) & 0xF) << 4;
            qh[32 * n + l] = (v(0) >> 4) | (v(1) >> 4) << 2 | (v(2) >> 4) << 4 | (v(3) >> 4) << 6;
        }
    }
    out.extend_from_slice(&ql);
    out.extend_from_slice(&qh);
    out.extend(sc.iter().map(|&c| c as i8 as u8));
    out.extend_from_slice(&d.to_bits().to_le_bytes());
}

/// Sub-block `j`'s 6-bit (scale, min) from a Q4_K block's 12 packed bytes
/// (ggml's `get_scale_min_k4`).
fn scale_min_k4(j: usize, s: &[u8]) -> (u8, u8) {
    if j < 4 {
        (s[j] & 63, s[j + 4] & 63)
    } else {
        (
            (s[j + 4] & 0xF) | (s[j - 4] >> 6) << 4,
            (s[j + 4] >> 4) | (s[j] >> 6) << 4,
        )
    }
}

/// One Q4_K super-block (144 bytes) dequantized onto `out`: value `32j + l`
/// is `(d·sc[j])·q − dmin·m[j]`, `q` the low (even `j`) or high (odd `j`)
/// nibble of `qs[32(j/2) + l]`.
pub(super) fn dequantize_q4_k(block: &[u8], out: &mut Vec<f32>) {
    let (d, dmin) = (f16_at(block, 0), f16_at(block, 2));
    let (scales, qs) = (&block[4..16], &block[16..144]);
    for (c, quants) in qs.chunks_exact(32).enumerate() {
        for (j, shift) in [(2 * c, 0), (2 * c + 1, 4)] {
            let (sc, m) = scale_min_k4(j, scales);
            let (d1, m1) = (d * sc as f32, dmin * m as f32);
            out.extend(
                quants
                    .iter()
                    .map(|&q| d1 * ((q >> shift) & 0xF) as f32 - m1),
            );
        }
    }
}

/// One Q6_K super-block (210 bytes) dequantized onto `out`: value
/// `v = 128n + 32g + l` is `(d·scales[v / 16])·(q − 32)` (layout on
/// `QuantFormat`).
pub(super) fn dequantize_q6_k(block: &[u8], out: &mut Vec<f32>) {
    let (ql, qh, scales) = (&block[..128], &block[128..192], &block[192..208]);
    let d = f16_at(block, 208);
    let start = out.len();
    out.resize(start + QK_K, 0.0);
    let y = &mut out[start..];
    for n in 0..2 {
        let (ql, qh, sc) = (&ql[64 * n..], &qh[32 * n..], &scales[8 * n..]);
        for l in 0..32 {
            let is = l / 16;
            let h = qh[l];
            let q1 = ((ql[l] & 0xF) | (h & 3) << 4) as i32 - 32;
            let q2 = ((ql[l + 32] & 0xF) | (h >> 2 & 3) << 4) as i32 - 32;
            let q3 = ((ql[l] >> 4) | (h >> 4 & 3) << 4) as i32 - 32;
            let q4 = ((ql[l + 32] >> 4) | (h >> 6 & 3) << 4) as i32 - 32;
            let scale = |i: usize| d * sc[is + i] as i8 as f32;
            y[128 * n + l] = scale(0) * q1 as f32;
            y[128 * n + l + 32] = scale(2) * q2 as f32;
            y[128 * n + l + 64] = scale(4) * q3 as f32;
            y[128 * n + l + 96] = scale(6) * q4 as f32;
        }
    }
}

#[cfg(test)]
#[path = "cpu_k_tests.rs"]
mod tests;
