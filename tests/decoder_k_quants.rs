//! A GGUF decoder with Q4_K and Q6_K matrices (the "Q4_K_M" mix: Q6_K for
//! attn_v, ffn_down and the output head, Q4_K elsewhere) keeps them in their
//! formats on the device and computes what the same file with those matrices
//! dequantized and stored F32 computes through the dense kernels: every prompt
//! position (a prompt long enough for the tiled kernels) within 1e-4 of the
//! largest logit, and the same greedy continuation (the matvec kernel).
//!
//! The tiny checkpoints in `tests/data/decoders/` have a hidden size of 64,
//! not a whole 256-value super-block, so the model is made here: Llama shapes
//! (hidden 256, 4 heads of 64, 2 kv heads, MLP 512, 2 layers, vocab 300) with
//! seeded random weights quantized by `quantize_rows`. It runs the load path
//! of a real file: the parser, the K formats' mapping, and the q/k rotary row
//! permutation moving whole K-quant rows. Runs on every test adapter.

mod common;

use common::*;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::path::Path;
use tessera_runtime::generation::{generate, GenerateOptions};
use tessera_runtime::loaders::gguf::{GgmlType, GgufValue, GgufWriter};
use tessera_runtime::models::llama::{load_decoder, Decoder, WeightMatrix};
use tessera_runtime::quant::{dequantize_rows, quantize_rows, QuantFormat};

/// Largest |K-quant logit − dequantized-f32 logit| over the largest |logit|.
const K_VS_DEQUANTIZED_RTOL: f64 = 1e-4;

const HIDDEN: usize = 256;
const HEADS: usize = 4;
const KV_HEADS: usize = 2;
const HEAD_DIM: usize = 64;
const FFN: usize = 512;
const LAYERS: usize = 2;
const VOCAB: usize = 300;

/// One tensor of the model.
struct ModelTensor {
    name: String,
    /// GGML dims (row length first).
    dims: Vec<u64>,
    /// The K format of a matrix; `None` for an F32 vector.
    format: Option<QuantFormat>,
    values: Vec<f32>,
}

/// The model's tensors, seeded.
fn tensors() -> Vec<ModelTensor> {
    let mut rng = StdRng::seed_from_u64(0x4b5f_7175_616e_7473);
    let mut out = Vec::new();
    let mut matrix = |name: String, rows: usize, cols: usize, format: QuantFormat| {
        let scale = 1.0 / (cols as f32).sqrt();
        let values = random_vec(&mut rng, rows * cols, -scale, scale);
        ModelTensor {
            name,
            dims: vec![cols as u64, rows as u64],
            format: Some(format),
            values,
        }
    };
    let (q4, q6) = (QuantFormat::Q4_K, QuantFormat::Q6_K);
    let (q_rows, kv_rows) = (HEADS * HEAD_DIM, KV_HEADS * HEAD_DIM);
    let mut matrices = vec![
        matrix("token_embd.weight".into(), VOCAB, HIDDEN, q4),
        matrix("output.weight".into(), VOCAB, HIDDEN, q6),
    ];
    for i in 0..LAYERS {
        let p = format!("blk.{i}");
        matrices.extend([
            matrix(format!("{p}.attn_q.weight"), q_rows, HIDDEN, q4),
            matrix(format!("{p}.attn_k.weight"), kv_rows, HIDDEN, q4),
            matrix(format!("{p}.attn_v.weight"), kv_rows, HIDDEN, q6),
            matrix(format!("{p}.attn_output.weight"), HIDDEN, q_rows, q4),
            matrix(format!("{p}.ffn_gate.weight"), FFN, HIDDEN, q4),
            matrix(format!("{p}.ffn_up.weight"), FFN, HIDDEN, q4),
            matrix(format!("{p}.ffn_down.weight"), HIDDEN, FFN, q6),
        ]);
    }
    out.extend(matrices);
    let mut norm = |name: String| {
        let values = random_vec(&mut rng, HIDDEN, 0.8, 1.2);
        ModelTensor {
            name,
            dims: vec![HIDDEN as u64],
            format: None,
            values,
        }
    };
    out.push(norm("output_norm.weight".into()));
    for i in 0..LAYERS {
        out.push(norm(format!("blk.{i}.attn_norm.weight")));
        out.push(norm(format!("blk.{i}.ffn_norm.weight")));
    }
    out
}

/// The model as GGUF at `path`: matrices in their K format (`quantized`), or
/// those same blocks dequantized and stored F32.
fn write_model(path: &Path, quantized: bool) {
    let mut w = GgufWriter::new();
    let u32s = [
        ("llama.embedding_length", HIDDEN),
        ("llama.feed_forward_length", FFN),
        ("llama.block_count", LAYERS),
        ("llama.attention.head_count", HEADS),
        ("llama.attention.head_count_kv", KV_HEADS),
        ("llama.context_length", 64),
    ];
    w.metadata("general.architecture", GgufValue::String("llama".into()));
    for (key, v) in u32s {
        w.metadata(key, GgufValue::U32(v as u32));
    }
    w.metadata(
        "llama.attention.layer_norm_rms_epsilon",
        GgufValue::F32(1e-5),
    );
    w.metadata("llama.rope.freq_base", GgufValue::F32(10000.0));
    for ModelTensor {
        name,
        dims,
        format,
        values,
    } in tensors()
    {
        let Some(format) = format else {
            w.tensor_f32(name, &dims, &values);
            continue;
        };
        let cols = dims[0] as usize;
        let bytes = quantize_rows(format, &values, cols).unwrap();
        if quantized {
            let ty = match format {
                QuantFormat::Q4_K => GgmlType::Q4_K,
                _ => GgmlType::Q6_K,
            };
            w.tensor(name, &dims, ty, bytes);
        } else {
            let values = dequantize_rows(format, &bytes, cols).unwrap();
            w.tensor_f32(name, &dims, &values);
        }
    }
    w.write(path).unwrap();
}

fn is_format(w: &WeightMatrix, format: QuantFormat) -> bool {
    matches!(w, WeightMatrix::Quant(q) if q.format() == format)
}

fn greedy(decoder: &Decoder, prompt: &[u32]) -> Vec<u32> {
    let options = GenerateOptions {
        max_new_tokens: 12,
        stop_at_eos: false,
        ..Default::default()
    };
    generate(decoder, prompt, &options, |_| true).unwrap().ids
}

/// Largest |a - b| over the largest |b| (infinite when `a` has a non-finite value).
fn relative_error(actual: &[f32], expected: &[f32]) -> f64 {
    assert_eq!(actual.len(), expected.len());
    if actual.iter().any(|v| !v.is_finite()) {
        return f64::INFINITY;
    }
    let scale = expected.iter().fold(0f64, |m, &v| m.max((v as f64).abs()));
    let worst = actual
        .iter()
        .zip(expected)
        .fold(0f64, |m, (&a, &b)| m.max(((a - b) as f64).abs()));
    worst / scale.max(f64::MIN_POSITIVE)
}

#[test]
fn k_quant_gguf_matches_its_dequantized_f32_twin() {
    poison_outputs();
    let tmp = std::env::temp_dir().join(format!("tessera-decoder-k-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let (k_path, f32_path) = (tmp.join("k-quants.gguf"), tmp.join("dequantized.gguf"));
    write_model(&k_path, true);
    write_model(&f32_path, false);
    // Twelve tokens: more than the matvec kernel's eight rows.
    let prompt: Vec<u32> = vec![3, 17, 250, 9, 41, 101, 7, 299, 0, 128, 64, 5];
    for device in test_devices() {
        let context = format!("on {}", label(device));
        let dense = load_decoder(&f32_path, device).unwrap();
        let decoder = load_decoder(&k_path, device).unwrap();
        assert!(
            is_format(&decoder.embed, QuantFormat::Q4_K),
            "{context}: embedding not Q4_K"
        );
        assert!(
            is_format(&decoder.lm_head, QuantFormat::Q6_K),
            "{context}: output head not Q6_K"
        );
        // About 4.5 and 6.6 bits per weight against 32 (Q6_K rows padded).
        assert!(
            decoder.weight_bytes() * 5 < dense.weight_bytes(),
            "{context}: {} vs {} bytes",
            decoder.weight_bytes(),
            dense.weight_bytes()
        );
        let logits = |d: &Decoder| {
            let mut cache = d.new_cache(prompt.len()).unwrap();
            d.forward_all(&prompt, &mut cache)
                .unwrap()
                .to_f32_vec()
                .unwrap()
        };
        let (want, got) = (logits(&dense), logits(&decoder));
        assert_eq!(got.len(), prompt.len() * VOCAB, "{context}");
        for p in 0..prompt.len() {
            let row = p * VOCAB..(p + 1) * VOCAB;
            let err = relative_error(&got[row.clone()], &want[row]);
            assert!(
                err <= K_VS_DEQUANTIZED_RTOL,
                "{context}: position {p} off by {err:.2e}"
            );
        }
        assert_eq!(
            greedy(&decoder, &prompt[..4]),
            greedy(&dense, &prompt[..4]),
            "{context}: greedy"
        );
    }
    std::fs::remove_dir_all(&tmp).ok();
}
