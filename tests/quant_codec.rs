//! The CPU side of the GGML block formats (Q8_0 / Q4_0 / Q4_1 / Q5_0 / Q5_1 /
//! Q4_K / Q6_K and F16, BF16 in blocks): quantizing follows ggml's rules on known
//! values, hand-made blocks dequantize as written, round trips stay within
//! each format's error bound, and bad sizes are typed errors. (The K and
//! Q4_1 / Q5_0 / Q5_1 formats are also checked bit for bit against gguf-py in
//! the runtime's unit tests.)

mod common;

use common::*;
use half::{bf16, f16};
use tessera_runtime::quant::{dequantize_rows, quantize_rows, row_bytes, QuantFormat};
use tessera_runtime::Error;

/// A Q8_0 block: the f16 bits of `d`, then 32 quants.
fn q8_block(d: f32, qs: [i8; 32]) -> Vec<u8> {
    let mut b = f16::from_f32(d).to_bits().to_le_bytes().to_vec();
    b.extend(qs.iter().map(|&q| q as u8));
    b
}

#[test]
fn quantize_follows_ggml_rules_on_known_values() {
    // Q8_0, amax 127: d = 1 exactly, q = round(x) half away from zero.
    let mut x = [0.0f32; 32];
    x[..8].copy_from_slice(&[127.0, -127.0, 2.5, -2.5, 0.49, -0.51, 126.5, 3.0]);
    let mut want = [0i8; 32];
    want[..8].copy_from_slice(&[127, -127, 3, -3, 0, -1, 127, 3]);
    assert_eq!(
        quantize_rows(QuantFormat::Q8_0, &x, 32).unwrap(),
        q8_block(1.0, want)
    );
    // d = amax / 127 stored as f16; values i - 15: q = round((i - 15) * 127 / 16).
    let x: Vec<f32> = (0..32).map(|i| i as f32 - 15.0).collect();
    let bytes = quantize_rows(QuantFormat::Q8_0, &x, 32).unwrap();
    assert_eq!(
        bytes[..2],
        f16::from_f32(16.0 / 127.0).to_bits().to_le_bytes()
    );
    assert_eq!(
        (bytes[2] as i8, bytes[17] as i8, bytes[33] as i8),
        (-119, 0, 127)
    );

    // Q4_0, largest magnitude -8: d = -8 / -8 = 1, q = min(15, trunc(x + 8.5)).
    let mut x = [0.0f32; 32];
    x[..6].copy_from_slice(&[-8.0, 7.0, 7.4, 0.0, -0.6, 0.6]);
    x[16..20].copy_from_slice(&[-7.9, 1.49, -3.0, 5.5]);
    let q = quantize_rows(QuantFormat::Q4_0, &x, 32).unwrap();
    assert_eq!(q.len(), 18);
    assert_eq!(q[..2], f16::from_f32(1.0).to_bits().to_le_bytes());
    let lo: Vec<u8> = q[2..].iter().map(|b| b & 0xF).collect();
    let hi: Vec<u8> = q[2..].iter().map(|b| b >> 4).collect();
    assert_eq!(lo[..7], [0, 15, 15, 8, 7, 9, 8]);
    assert_eq!(hi[..5], [0, 9, 5, 14, 8]);
    // Largest magnitude positive (8, after -7.9): d = -1, so 8 -> q 0, and
    // -7.9 -> trunc(16.4) = 16, clamped to 15 (-7 after dequantizing).
    let mut x = [0.0f32; 32];
    x[..3].copy_from_slice(&[-7.9, 8.0, -7.0]);
    let q = quantize_rows(QuantFormat::Q4_0, &x, 32).unwrap();
    assert_eq!(q[..2], f16::from_f32(-1.0).to_bits().to_le_bytes());
    assert_eq!(
        [q[2] & 0xF, q[3] & 0xF, q[4] & 0xF, q[5] & 0xF],
        [15, 0, 15, 8]
    );
    let back = dequantize_rows(QuantFormat::Q4_0, &q, 32).unwrap();
    assert_eq!(back[..4], [-7.0, 8.0, -7.0, 0.0]);
    // All zero: d = 0 (Q4_0: 0 / -8 = -0, stored as f16 -0 as ggml does);
    // Q8_0 quants 0, Q4_0 quants 8; both dequantize to 0.
    let zeros = [0.0f32; 64];
    let q8 = quantize_rows(QuantFormat::Q8_0, &zeros, 64).unwrap();
    assert!(q8.iter().all(|&b| b == 0));
    let q4 = quantize_rows(QuantFormat::Q4_0, &zeros, 32).unwrap();
    assert!(q4
        .chunks(18)
        .all(|b| b[..2] == [0x00, 0x80] && b[2..].iter().all(|&v| v == 0x88)));
    assert_eq!(
        dequantize_rows(QuantFormat::Q4_0, &q4, 32).unwrap(),
        vec![0.0; 64]
    );
}

#[test]
fn dequantize_hand_made_blocks() {
    // Q8_0: d = 0.5, qs[i] = i - 16 (and -128 at the end): value i = 0.5 (i - 16).
    let mut qs = [0i8; 32];
    for (i, q) in qs.iter_mut().enumerate() {
        *q = i as i8 - 16;
    }
    qs[31] = -128;
    let mut want: Vec<f32> = (0..32).map(|i| 0.5 * (i as f32 - 16.0)).collect();
    want[31] = -64.0;
    assert_eq!(
        dequantize_rows(QuantFormat::Q8_0, &q8_block(0.5, qs), 32).unwrap(),
        want
    );
    // Q4_0: d = 0.25, byte j = j | (15 - j) << 4: value j = 0.25 (j - 8),
    // value j + 16 = 0.25 (7 - j). Two rows of one block each.
    let mut block = vec![0x00, 0x34]; // f16 0.25
    block.extend((0..16u8).map(|j| j | ((15 - j) << 4)));
    let mut want: Vec<f32> = (0..16).map(|j| 0.25 * (j as f32 - 8.0)).collect();
    want.extend((0..16).map(|j| 0.25 * (7.0 - j as f32)));
    let two_rows = [block.clone(), block].concat();
    let got = dequantize_rows(QuantFormat::Q4_0, &two_rows, 32).unwrap();
    assert_eq!(got, [want.clone(), want].concat());
}

#[test]
fn quantize_dequantize_round_trip_error() {
    let (mut rng, seed) = seeded_rng("quantize_dequantize_round_trip_error");
    for format in QuantFormat::ALL {
        let k = 3 * format.group_values();
        let x = random_vec(&mut rng, 5 * k, -3.0, 3.0);
        let bytes = quantize_rows(format, &x, k).unwrap();
        assert_eq!(bytes.len(), 5 * 3 * format.group_bytes());
        let back = dequantize_rows(format, &bytes, k).unwrap();
        let ctx = format!("{format}, seed {seed}");
        match format {
            QuantFormat::F16 => {
                // Round to nearest f16: exactly what `half` gives, within 2^-11.
                for (i, (a, y)) in x.iter().zip(&back).enumerate() {
                    assert_eq!(*y, f16::from_f32(*a).to_f32(), "f16 [{i}], seed {seed}");
                    assert!(
                        (a - y).abs() <= a.abs() * 2f32.powi(-11),
                        "f16 [{i}]: {a} -> {y}"
                    );
                }
            }
            QuantFormat::BF16 => {
                // Round to nearest bf16 (ties to even): what `half` gives,
                // within 2^-8 relative (8 significant bits).
                for (i, (a, y)) in x.iter().zip(&back).enumerate() {
                    assert_eq!(*y, bf16::from_f32(*a).to_f32(), "bf16 [{i}], seed {seed}");
                    assert!(
                        (a - y).abs() <= a.abs() * 2f32.powi(-8),
                        "bf16 [{i}]: {a} -> {y}"
                    );
                }
            }
            QuantFormat::Q8_0 | QuantFormat::Q4_0 | QuantFormat::Q5_0 => {
                round_trip_32(format, &x, &bytes, &back)
            }
            QuantFormat::Q4_1 | QuantFormat::Q5_1 => round_trip_min(format, &x, &bytes, &back),
            QuantFormat::Q4_K => {
                for (g, (xs, ys)) in x.chunks(256).zip(back.chunks(256)).enumerate() {
                    round_trip_q4_k(xs, &bytes[144 * g..][..144], ys, &ctx);
                }
            }
            QuantFormat::Q6_K => {
                for (g, (xs, ys)) in x.chunks(256).zip(back.chunks(256)).enumerate() {
                    round_trip_q6_k(xs, &bytes[210 * g..][..210], ys, &ctx);
                }
            }
        }
    }
}

/// The little-endian f16 at byte `at` of `b`.
fn f16_le(b: &[u8], at: usize) -> f32 {
    f16::from_bits(u16::from_le_bytes([b[at], b[at + 1]])).to_f32()
}

/// Q8_0 / Q4_0 / Q5_0 (ggml's quantizers): within half a step of the
/// block's `d` (a whole one for Q4_0's and Q5_0's clamped top code), plus the
/// f16 rounding of `d` times the largest code.
fn round_trip_32(format: QuantFormat, x: &[f32], bytes: &[u8], back: &[f32]) {
    for (b, (xs, ys)) in x.chunks(32).zip(back.chunks(32)).enumerate() {
        let d = f16_le(bytes, b * format.group_bytes()).abs();
        let step = match format {
            QuantFormat::Q8_0 => 0.5 * d + 127.0 * d * 1e-3,
            QuantFormat::Q5_0 => d + 16.0 * d * 1e-3,
            _ => d + 8.0 * d * 1e-3,
        };
        for (i, (a, y)) in xs.iter().zip(ys).enumerate() {
            assert!(
                (a - y).abs() <= step,
                "{format} block {b} [{i}]: {a} -> {y}, d {d}"
            );
        }
    }
}

/// Q4_1 / Q5_1 (ggml's quantizers): `d` is the range over 15 (31) steps and
/// `m` the minimum, so every value is within half a step of `q·d + m` before
/// `d` and `m` are rounded to f16; that rounding (2^-11 relative) adds up to
/// `steps · d · 2^-11 + |m| · 2^-11`. The bound below reads the stored f16 `d`
/// and `m`, so it doubles that slack. Also checks the stored min is the
/// block's minimum rounded to f16 and `d` the range over the steps, rounded.
fn round_trip_min(format: QuantFormat, x: &[f32], bytes: &[u8], back: &[f32]) {
    let steps = match format {
        QuantFormat::Q4_1 => 15.0,
        _ => 31.0,
    };
    for (b, (xs, ys)) in x.chunks(32).zip(back.chunks(32)).enumerate() {
        let block = &bytes[b * format.group_bytes()..];
        let (d, m) = (f16_le(block, 0), f16_le(block, 2));
        let min = xs.iter().fold(f32::MAX, |a, &v| a.min(v));
        let max = xs.iter().fold(f32::MIN, |a, &v| a.max(v));
        assert_eq!(m, f16::from_f32(min).to_f32(), "{format} block {b}");
        assert_eq!(
            d,
            f16::from_f32((max - min) / steps).to_f32(),
            "{format} block {b}"
        );
        let bound = 0.5 * d + (steps * d + m.abs()) * 2f32.powi(-10) + ROUNDING;
        for (i, (a, y)) in xs.iter().zip(ys).enumerate() {
            assert!(
                (a - y).abs() <= bound,
                "{format} block {b} [{i}]: {a} -> {y}, d {d} m {m}"
            );
        }
    }
}

/// Slack for f32 rounding in `(x + o) / s`, `s·q − o` on values of at most
/// a few units.
const ROUNDING: f32 = 1e-5;

/// Q4_K (the one-pass quantizer): sub-block j's step `s = d·sc[j]` and offset
/// `o = dmin·m[j]`, read back from the block, satisfy what rounding the scales
/// up promises: `o` covers the sub-block's minimum (clamped to 0 from above)
/// by less than one `dmin`, `15 s − o` reaches its maximum, `s` is at most
/// one `d` above the ideal `(max + o) / 15`; and every value is within half a
/// step.
fn round_trip_q4_k(x: &[f32], block: &[u8], back: &[f32], ctx: &str) {
    let (d, dmin) = (f16_le(block, 0), f16_le(block, 2));
    let s = &block[4..16];
    for j in 0..8 {
        let (sc, m) = match j {
            0..4 => (s[j] & 63, s[j + 4] & 63),
            _ => (
                (s[j + 4] & 0xF) | (s[j - 4] >> 6) << 4,
                (s[j + 4] >> 4) | (s[j] >> 6) << 4,
            ),
        };
        let (step, o) = (d * sc as f32, dmin * m as f32);
        let xs = &x[32 * j..][..32];
        let min = xs.iter().fold(0.0f32, |a, &v| a.min(v));
        let max = xs.iter().fold(f32::MIN, |a, &v| a.max(v));
        let c = format!("{ctx} q4_k sub-block {j}: d {d} sc {sc} dmin {dmin} m {m}");
        assert!(o >= -min - ROUNDING && o <= -min + dmin + ROUNDING, "{c}");
        assert!(15.0 * step - o >= max - ROUNDING, "{c}");
        assert!(step <= (max + o) / 15.0 + d + ROUNDING, "{c}");
        for (i, (a, y)) in xs.iter().zip(&back[32 * j..][..32]).enumerate() {
            assert!(
                (a - y).abs() <= 0.5 * step + ROUNDING,
                "{c} [{i}]: {a} -> {y}"
            );
        }
    }
}

/// Q6_K (the one-pass quantizer): group g's step `s = d·sc[g]` covers its
/// largest magnitude in 31 steps and is at most one `d` above the ideal
/// `amax / 31`; every value is within half a step.
fn round_trip_q6_k(x: &[f32], block: &[u8], back: &[f32], ctx: &str) {
    let d = f16_le(block, 208);
    for g in 0..16 {
        let sc = block[192 + g] as i8;
        let step = d * sc as f32;
        let xs = &x[16 * g..][..16];
        let amax = xs.iter().fold(0.0f32, |a, &v| a.max(v.abs()));
        let c = format!("{ctx} q6_k group {g}: d {d} sc {sc}");
        assert!(sc >= 0 && 31.0 * step >= amax - ROUNDING, "{c}");
        assert!(step <= amax / 31.0 + d + ROUNDING, "{c}");
        for (i, (a, y)) in xs.iter().zip(&back[16 * g..][..16]).enumerate() {
            assert!(
                (a - y).abs() <= 0.5 * step + ROUNDING,
                "{c} [{i}]: {a} -> {y}"
            );
        }
    }
}

#[test]
fn quantize_and_dequantize_reject_bad_sizes() {
    for format in QuantFormat::ALL {
        let (b, g) = (format.group_bytes(), format.group_values());
        let shape = |r: tessera_runtime::Result<Vec<u8>>| matches!(r, Err(Error::Shape(_)));
        assert!(shape(quantize_rows(format, &vec![0.5; 2 * g], g - 1)));
        assert!(shape(quantize_rows(format, &vec![0.5; 2 * g], 0)));
        assert!(shape(quantize_rows(format, &vec![0.5; g + g / 2], g)));
        assert!(quantize_rows(format, &[], g).unwrap().is_empty());
        let deq = |bytes: &[u8], k| dequantize_rows(format, bytes, k);
        assert!(matches!(deq(&vec![0; 2 * b - 1], g), Err(Error::Shape(_))));
        assert!(matches!(deq(&vec![0; 3 * b], 2 * g), Err(Error::Shape(_))));
        assert!(matches!(deq(&vec![0; b], g + 8), Err(Error::Shape(_))));
        assert_eq!(deq(&vec![0; 4 * b], 2 * g).unwrap().len(), 4 * g);
        assert_eq!(row_bytes(format, 3 * g).unwrap(), 3 * b);
        assert!(matches!(row_bytes(format, 0), Err(Error::Shape(_))));
        assert!(matches!(row_bytes(format, g + 1), Err(Error::Shape(_))));
        if g > 32 {
            // Whole 32-value blocks are not whole K super-blocks.
            assert!(matches!(row_bytes(format, 96), Err(Error::Shape(_))));
            assert!(shape(quantize_rows(format, &[0.5; 96], 96)));
        }
    }
}

#[test]
fn bf16_blocks_are_the_high_halves_of_f32s() {
    // Hand-written bits: 0x3F80 = 1.0, 0xC040 = -3.0, 0x3E20 = 0.15625,
    // 0x4349 = 201.0, 0x0001 = the smallest bf16 subnormal (2^-133),
    // 0x8000 = -0.0; the rest of the block repeats 0x3FC0 = 1.5.
    let mut bits = vec![0x3F80u16, 0xC040, 0x3E20, 0x4349, 0x0001, 0x8000];
    bits.resize(32, 0x3FC0);
    let block: Vec<u8> = bits.iter().flat_map(|b| b.to_le_bytes()).collect();
    // 2^-133 as f32 bits: exponent field 0, mantissa bit 16 (2^-149 * 2^16).
    let mut want = vec![1.0f32, -3.0, 0.15625, 201.0, f32::from_bits(1 << 16), -0.0];
    want.resize(32, 1.5);
    let got = dequantize_rows(QuantFormat::BF16, &block, 32).unwrap();
    let got_bits: Vec<u32> = got.iter().map(|v| v.to_bits()).collect();
    let want_bits: Vec<u32> = want.iter().map(|v| v.to_bits()).collect();
    assert_eq!(got_bits, want_bits);
    // Quantizing rounds to nearest, ties to even: 1 + 2^-8 is halfway
    // between 1 and 1 + 2^-7 and goes to 1 (even); 1 + 3 * 2^-8 goes up to
    // 1 + 2^-6; just above the halfway point rounds up.
    let mut x = vec![
        1.0 + 2f32.powi(-8),
        1.0 + 3.0 * 2f32.powi(-8),
        1.0 + 2f32.powi(-8) + 2f32.powi(-20),
    ];
    x.resize(32, -2.0);
    let q = quantize_rows(QuantFormat::BF16, &x, 32).unwrap();
    let q_bits: Vec<u16> = q
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    assert_eq!(q_bits[..4], [0x3F80, 0x3F82, 0x3F81, 0xC000]);
}
