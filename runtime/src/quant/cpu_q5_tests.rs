//! Q4_1 / Q5_0 / Q5_1 against gguf-py (`tests/data/quant/q4_1_q5.json`, made
//! by `scripts/make_q4_1_q5_vectors.py`): the dequantizers bit for bit on
//! blocks gguf-py quantized plus edge cases (zero, negative and subnormal
//! scales, random quant bits), and the quantizers byte for byte on random and
//! special inputs; and the packing of hand-made blocks.

use super::*;
use crate::quant::{dequantize_rows, quantize_rows};
use std::path::Path;
use tessera_kernels::QuantFormat;

const FORMATS: [(&str, QuantFormat); 3] = [
    ("q4_1", QuantFormat::Q4_1),
    ("q5_0", QuantFormat::Q5_0),
    ("q5_1", QuantFormat::Q5_1),
];

/// `hex` as bytes.
fn unhex(hex: &str) -> Vec<u8> {
    assert!(hex.len().is_multiple_of(2), "odd hex length");
    (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// Little-endian f32s from `hex`.
fn unhex_f32(hex: &str) -> Vec<f32> {
    unhex(hex)
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// The vector file's entry for format `name`.
fn entry(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/quant/q4_1_q5.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc[name].clone()
}

/// `got` and `want` equal bit for bit.
fn assert_bits(got: &[f32], want: &[f32], ctx: &str) {
    assert_eq!(got.len(), want.len(), "{ctx}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.to_bits(), w.to_bits(), "{ctx} value {i}: {g} vs {w}");
    }
}

#[test]
fn dequantizers_match_gguf_py_bit_for_bit() {
    for (name, format) in FORMATS {
        let e = entry(name);
        let bytes = unhex(e["dequantize"]["bytes"].as_str().unwrap());
        let want = unhex_f32(e["dequantize"]["values_f32_le"].as_str().unwrap());
        let blocks = bytes.len() / format.group_bytes();
        assert_eq!(blocks, 8, "{name}");
        assert_eq!(want.len(), blocks * 32, "{name}");
        // As one row and as rows of one block: the same values.
        for k in [32, blocks * 32] {
            let got = dequantize_rows(format, &bytes, k).unwrap();
            assert_bits(&got, &want, &format!("{name} k={k}"));
        }
        // The edge blocks are what the script says: d = 0, -d, subnormal d.
        assert_eq!(f16_at(&bytes, 4 * format.group_bytes()), 0.0, "{name}");
        let (d1, d5) = (
            f16_at(&bytes, format.group_bytes()),
            f16_at(&bytes, 5 * format.group_bytes()),
        );
        assert!(d5 == -d1 && d1 != 0.0, "{name}: {d1} {d5}");
        let d6 = f16_at(&bytes, 6 * format.group_bytes());
        assert!(d6 > 0.0 && d6 < 6.1e-5, "{name}: {d6}");
    }
}

#[test]
fn quantizers_match_gguf_py_byte_for_byte() {
    for (name, format) in FORMATS {
        let e = entry(name);
        let x = unhex_f32(e["quantize"]["values_f32_le"].as_str().unwrap());
        let want = unhex(e["quantize"]["bytes"].as_str().unwrap());
        assert_eq!(x.len(), 8 * 32, "{name}");
        for k in [32, 64, 256] {
            let got = quantize_rows(format, &x, k).unwrap();
            assert_eq!(got.len(), want.len(), "{name} k={k}");
            for (b, (g, w)) in got
                .chunks(format.group_bytes())
                .zip(want.chunks(format.group_bytes()))
                .enumerate()
            {
                assert_eq!(g, w, "{name} k={k} block {b}");
            }
        }
    }
}

#[test]
fn hand_made_blocks_dequantize_as_ggml_reads_them() {
    // Q5_0: d = 0.5; qs[j] = j | (15 - j) << 4; qh has bits 0, 5, 16, 31.
    let qh: u32 = 1 | 1 << 5 | 1 << 16 | 1 << 31;
    let mut block = f16::from_f32(0.5).to_bits().to_le_bytes().to_vec();
    block.extend_from_slice(&qh.to_le_bytes());
    block.extend((0..16u8).map(|j| j | (15 - j) << 4));
    let code = |i: usize| {
        let nibble = if i < 16 {
            i as i32
        } else {
            15 - (i as i32 - 16)
        };
        nibble + 16 * ((qh >> i) & 1) as i32
    };
    let want: Vec<f32> = (0..32).map(|i| 0.5 * (code(i) - 16) as f32).collect();
    assert_eq!(
        (want[0], want[1], want[16], want[31]),
        (0.0, -7.5, 7.5, 0.0)
    );
    assert_eq!(
        dequantize_rows(QuantFormat::Q5_0, &block, 32).unwrap(),
        want
    );
    // Q5_1 from the same codes with m = -1: code * d + m.
    let mut block1 = f16::from_f32(0.5).to_bits().to_le_bytes().to_vec();
    block1.extend_from_slice(&f16::from_f32(-1.0).to_bits().to_le_bytes());
    block1.extend_from_slice(&block[2..]);
    let want1: Vec<f32> = (0..32).map(|i| code(i) as f32 * 0.5 - 1.0).collect();
    assert_eq!(
        dequantize_rows(QuantFormat::Q5_1, &block1, 32).unwrap(),
        want1
    );
    // Q4_1: d = 0.25, m = 2, byte j = j | (15 - j) << 4.
    let mut block4 = f16::from_f32(0.25).to_bits().to_le_bytes().to_vec();
    block4.extend_from_slice(&f16::from_f32(2.0).to_bits().to_le_bytes());
    block4.extend((0..16u8).map(|j| j | (15 - j) << 4));
    let mut want4: Vec<f32> = (0..16).map(|j| j as f32 * 0.25 + 2.0).collect();
    want4.extend((0..16).map(|j| (15 - j) as f32 * 0.25 + 2.0));
    assert_eq!(
        dequantize_rows(QuantFormat::Q4_1, &block4, 32).unwrap(),
        want4
    );
}

#[test]
fn quantizers_pack_codes_as_the_dequantizers_read_them() {
    // A ramp 0..31 has one value per code of Q5_1 (d = 1, m = 0) and of Q5_0
    // after a shift (largest magnitude -16: d = 1, code = x + 16).
    let ramp: Vec<f32> = (0..32).map(|i| i as f32).collect();
    let q = quantize_rows(QuantFormat::Q5_1, &ramp, 32).unwrap();
    assert_eq!((f16_at(&q, 0), f16_at(&q, 2)), (1.0, 0.0));
    assert_eq!(u32_at(&q, 4), 0xFFFF_0000, "codes 16.. have bit 4");
    assert_eq!(dequantize_rows(QuantFormat::Q5_1, &q, 32).unwrap(), ramp);
    let shifted: Vec<f32> = ramp.iter().map(|v| v - 16.0).collect();
    let q = quantize_rows(QuantFormat::Q5_0, &shifted, 32).unwrap();
    assert_eq!(f16_at(&q, 0), 1.0);
    assert_eq!(dequantize_rows(QuantFormat::Q5_0, &q, 32).unwrap(), shifted);
    // Q4_1: 0..15 twice.
    let x: Vec<f32> = (0..32).map(|i| (i % 16) as f32).collect();
    let q = quantize_rows(QuantFormat::Q4_1, &x, 32).unwrap();
    assert_eq!(dequantize_rows(QuantFormat::Q4_1, &q, 32).unwrap(), x);
    // Constant blocks: d = 0, everything is m.
    for format in [QuantFormat::Q4_1, QuantFormat::Q5_1] {
        let q = quantize_rows(format, &[0.375; 32], 32).unwrap();
        assert_eq!((f16_at(&q, 0), f16_at(&q, 2)), (0.0, 0.375), "{format}");
        assert_eq!(dequantize_rows(format, &q, 32).unwrap(), [0.375; 32]);
    }
    // Q5_0 zeros: d = 0 / -16 = -0 (f16 0x8000), every code 16 (qh all
    // ones, nibbles 0), as ggml makes them.
    let q = quantize_rows(QuantFormat::Q5_0, &[0.0; 32], 32).unwrap();
    assert_eq!(q[..6], [0x00, 0x80, 0xFF, 0xFF, 0xFF, 0xFF]);
    assert!(q[6..].iter().all(|&b| b == 0));
    assert_eq!(
        dequantize_rows(QuantFormat::Q5_0, &q, 32).unwrap(),
        [0.0; 32]
    );
    // Non-finite input makes some block, without panicking.
    for format in [QuantFormat::Q4_1, QuantFormat::Q5_0, QuantFormat::Q5_1] {
        let mut x = [1.0f32; 32];
        x[3] = f32::NAN;
        x[9] = f32::INFINITY;
        assert_eq!(
            quantize_rows(format, &x, 32).unwrap().len(),
            format.group_bytes()
        );
    }
}
