//! The K-format dequantizers against gguf-py's on random super-blocks
//! (`tests/data/quant/k_quants.json`, made by `scripts/make_k_quant_vectors.py`),
//! bit for bit, and the packing of the quantizers' scales.

use super::*;
use crate::quant::{dequantize_rows, quantize_rows};
use std::path::Path;
use tessera_kernels::QuantFormat;

/// `hex` as bytes.
fn unhex(hex: &str) -> Vec<u8> {
    assert!(hex.len().is_multiple_of(2), "odd hex length");
    (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// (bytes, values) of `name` in the vector file.
fn vectors(name: &str) -> (Vec<u8>, Vec<f32>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/quant/k_quants.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entry = &doc[name];
    let bytes = unhex(entry["bytes"].as_str().unwrap());
    let values = unhex(entry["values_f32_le"].as_str().unwrap())
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    (bytes, values)
}

#[test]
fn dequantizers_match_gguf_py_bit_for_bit() {
    for (name, format) in [("q4_k", QuantFormat::Q4_K), ("q6_k", QuantFormat::Q6_K)] {
        let (bytes, want) = vectors(name);
        let blocks = bytes.len() / format.group_bytes();
        assert!(blocks >= 4, "{name}: {blocks} super-blocks");
        assert_eq!(want.len(), blocks * 256, "{name}");
        // As one row and as rows of one super-block: the same values.
        for k in [256, blocks * 256] {
            let got = dequantize_rows(format, &bytes, k).unwrap();
            assert_eq!(got.len(), want.len(), "{name} k={k}");
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(
                    g.to_bits(),
                    w.to_bits(),
                    "{name} k={k} value {i}: {g} vs {w}"
                );
            }
        }
    }
}

#[test]
fn f16_at_least_rounds_up() {
    for v in [0.0f32, 1.0, 0.1, 1e-7, 3.0e-6, 65504.0, 1.0 / 3.0, 123.456] {
        let h = f16_at_least(v);
        assert!(h.to_f32() >= v, "{v} -> {h}");
        let below = f16::from_bits(h.to_bits().saturating_sub(1)).to_f32();
        assert!(
            h.to_bits() == 0 || below < v,
            "{v} -> {h}: {below} is not below"
        );
    }
    assert!(f16_at_least(70000.0).is_infinite());
    assert_eq!(code_at_least(0.5, 0.0, 63), 0);
    assert_eq!(code_at_least(2.0, 1.0, 63), 2);
    assert_eq!(code_at_least(2.01, 1.0, 63), 3);
    assert_eq!(code_at_least(100.0, 1.0, 63), 63);
    assert_eq!(code_at_least(f32::NAN, 1.0, 63), 0);
}

#[test]
fn q4_k_scales_pack_as_ggml_unpacks_them() {
    // Sub-block j spans [-(j + 1), 4j + 3]: offsets and tops grow with j, so
    // the 6-bit codes use their high bits and every packed field is exercised.
    let x: Vec<f32> = (0..256)
        .map(|i| {
            let (j, l) = ((i / 32) as f32, (i % 32) as f32);
            -(j + 1.0) + l / 31.0 * (5.0 * j + 4.0)
        })
        .collect();
    let bytes = quantize_rows(QuantFormat::Q4_K, &x, 256).unwrap();
    assert_eq!(bytes.len(), 144);
    let (d, dmin) = (f16_at(&bytes, 0), f16_at(&bytes, 2));
    for j in 0..8 {
        let (sc, m) = scale_min_k4(j, &bytes[4..16]);
        // The offset covers the minimum, the range the top, by less than a unit more.
        let (o, s) = (dmin * m as f32, d * sc as f32);
        let (min, top) = (-(j as f32 + 1.0), 4.0 * j as f32 + 3.0);
        assert!(o >= -min && o < -min + dmin * 1.01, "j={j}: o {o}");
        assert!(15.0 * s - o >= top * 0.9999, "j={j}: s {s}");
        assert!(15.0 * s - o < top + 15.0 * d * 1.01, "j={j}: s {s}");
    }
    // The largest sub-block uses the top codes.
    let (sc7, m7) = scale_min_k4(7, &bytes[4..16]);
    assert!(sc7 >= 62 && m7 == 63, "sc {sc7} m {m7}");
}

#[test]
fn zero_and_constant_super_blocks() {
    for format in [QuantFormat::Q4_K, QuantFormat::Q6_K] {
        let zeros = quantize_rows(format, &[0.0; 512], 256).unwrap();
        assert_eq!(zeros.len(), 2 * format.group_bytes());
        assert_eq!(
            dequantize_rows(format, &zeros, 256).unwrap(),
            vec![0.0; 512],
            "{format}"
        );
        for c in [0.75f32, -2.5] {
            let bytes = quantize_rows(format, &[c; 256], 256).unwrap();
            let back = dequantize_rows(format, &bytes, 256).unwrap();
            for v in back {
                assert!((v - c).abs() <= c.abs() * 0.04, "{format} {c} -> {v}");
            }
        }
    }
}
