//! GGUF decoders whose matrices are block-quantized mixes keep them in their
//! formats on the device and compute what the same file with those matrices
//! dequantized and stored F32 computes through the dense kernels: every prompt
//! position (a prompt long enough for the tiled kernels) within 1e-4 of the
//! largest logit, and the same greedy continuation (the matvec kernel). Three
//! mixes:
//! - Llama's "Q4_K_M" (Q6_K for attn_v, ffn_down and the output head, Q4_K
//!   elsewhere), hidden 256;
//! - Qwen2.5-0.5B's "Q4_K_M" as llama.cpp writes it for a hidden size that is
//!   not whole 256-value super-blocks (896 there, 192 here): Q5_0 for the
//!   matrices whose rows are hidden-size long, Q8_0 for attn_v in one layer
//!   and the tied embedding (Q6_K's fallback), ffn_down (rows of the MLP
//!   width, whole super-blocks) Q6_K and Q4_K; q/k/v biases;
//! - older files' Q4_1 / Q5_1 (and a Q5_0 embedding), hidden 128.
//!
//! The tiny checkpoints in `tests/data/decoders/` have a hidden size of 64,
//! not a whole 256-value super-block, so the models are made here with seeded
//! random weights quantized by `quantize_rows`. They run the load path of a
//! real file: the parser, the formats' mapping, stacking q/k/v (gate/up) of
//! mixed formats, and the q/k rotary row permutation moving whole quantized
//! rows. Runs on every test adapter.

mod common;

use common::*;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::path::Path;
use tessera_runtime::loaders::gguf::{GgmlType, GgufValue, GgufWriter};
use tessera_runtime::models::llama::{load_decoder, Decoder};
use tessera_runtime::nn::Weight;
use tessera_runtime::quant::{dequantize_rows, quantize_rows, QuantFormat};

/// Largest |quantized logit − dequantized-f32 logit| over the largest |logit|.
const QUANT_VS_DEQUANTIZED_RTOL: f64 = 1e-4;

/// A test model: shapes and the format of every matrix.
struct Spec {
    /// GGUF architecture: `llama` or `qwen2`.
    arch: &'static str,
    hidden: usize,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    ffn: usize,
    layers: usize,
    vocab: usize,
    /// q/k/v biases (Qwen2).
    bias: bool,
    embed: QuantFormat,
    /// The output head's format, or `None` when tied to the embedding.
    output: Option<QuantFormat>,
    /// The format of `blk.{layer}.{role}.weight` (`attn_q`, ..., `ffn_down`).
    format: fn(usize, &str) -> QuantFormat,
    /// The quantized model is at least this many times smaller on the device.
    compression: usize,
    seed: u64,
}

/// Llama's Q4_K_M: Q6_K for attn_v, ffn_down and the output head.
const LLAMA_Q4_K_M: Spec = Spec {
    arch: "llama",
    hidden: 256,
    heads: 4,
    kv_heads: 2,
    head_dim: 64,
    ffn: 512,
    layers: 2,
    vocab: 300,
    bias: false,
    embed: QuantFormat::Q4_K,
    output: Some(QuantFormat::Q6_K),
    format: |_, role| match role {
        "attn_v" | "ffn_down" => QuantFormat::Q6_K,
        _ => QuantFormat::Q4_K,
    },
    // About 4.5 and 6.6 bits per weight against 32 (Q6_K rows padded).
    compression: 5,
    seed: 0x4b5f_7175_616e_7473,
};

/// Qwen2.5-0.5B's Q4_K_M as llama.cpp falls back for hidden-size rows.
const QWEN_Q4_K_M: Spec = Spec {
    arch: "qwen2",
    hidden: 192,
    heads: 3,
    kv_heads: 1,
    head_dim: 64,
    ffn: 512,
    layers: 2,
    vocab: 300,
    bias: true,
    embed: QuantFormat::Q8_0,
    output: None,
    format: |layer, role| match (layer, role) {
        (0, "attn_v") => QuantFormat::Q8_0,
        (0, "ffn_down") => QuantFormat::Q6_K,
        (_, "ffn_down") => QuantFormat::Q4_K,
        _ => QuantFormat::Q5_0,
    },
    // 5.5 to 8.5 bits per weight against 32.
    compression: 4,
    seed: 0x5177_656e_325f_4b4d,
};

/// Older files' Q4_1 / Q5_1 mix.
const LEGACY_Q4_1_Q5_1: Spec = Spec {
    arch: "llama",
    hidden: 128,
    heads: 2,
    kv_heads: 1,
    head_dim: 64,
    ffn: 160,
    layers: 2,
    vocab: 300,
    bias: false,
    embed: QuantFormat::Q5_0,
    output: Some(QuantFormat::Q4_1),
    format: |_, role| match role {
        "attn_v" | "ffn_down" => QuantFormat::Q5_1,
        _ => QuantFormat::Q4_1,
    },
    // 5 to 6 bits per weight against 32.
    compression: 5,
    seed: 0x5134_315f_5135_5f31,
};

/// One tensor of the model.
struct ModelTensor {
    name: String,
    /// GGML dims (row length first).
    dims: Vec<u64>,
    /// The block format of a matrix; `None` for an F32 vector.
    format: Option<QuantFormat>,
    values: Vec<f32>,
}

/// The model's tensors, seeded.
fn tensors(spec: &Spec) -> Vec<ModelTensor> {
    let mut rng = StdRng::seed_from_u64(spec.seed);
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
    let hidden = spec.hidden;
    let (q_rows, kv_rows) = (spec.heads * spec.head_dim, spec.kv_heads * spec.head_dim);
    out.push(matrix(
        "token_embd.weight".into(),
        spec.vocab,
        hidden,
        spec.embed,
    ));
    if let Some(format) = spec.output {
        out.push(matrix("output.weight".into(), spec.vocab, hidden, format));
    }
    for i in 0..spec.layers {
        for (role, rows, cols) in [
            ("attn_q", q_rows, hidden),
            ("attn_k", kv_rows, hidden),
            ("attn_v", kv_rows, hidden),
            ("attn_output", hidden, q_rows),
            ("ffn_gate", spec.ffn, hidden),
            ("ffn_up", spec.ffn, hidden),
            ("ffn_down", hidden, spec.ffn),
        ] {
            let name = format!("blk.{i}.{role}.weight");
            out.push(matrix(name, rows, cols, (spec.format)(i, role)));
        }
    }
    let mut vector = |name: String, n: usize, lo: f32, hi: f32| ModelTensor {
        name,
        dims: vec![n as u64],
        format: None,
        values: random_vec(&mut rng, n, lo, hi),
    };
    out.push(vector("output_norm.weight".into(), hidden, 0.8, 1.2));
    for i in 0..spec.layers {
        out.push(vector(
            format!("blk.{i}.attn_norm.weight"),
            hidden,
            0.8,
            1.2,
        ));
        out.push(vector(format!("blk.{i}.ffn_norm.weight"), hidden, 0.8, 1.2));
        if spec.bias {
            for (role, n) in [("attn_q", q_rows), ("attn_k", kv_rows), ("attn_v", kv_rows)] {
                out.push(vector(format!("blk.{i}.{role}.bias"), n, -0.1, 0.1));
            }
        }
    }
    out
}

/// The GGML type of a block format.
fn ggml_type(format: QuantFormat) -> GgmlType {
    match format {
        QuantFormat::Q8_0 => GgmlType::Q8_0,
        QuantFormat::Q4_0 => GgmlType::Q4_0,
        QuantFormat::Q4_1 => GgmlType::Q4_1,
        QuantFormat::Q5_0 => GgmlType::Q5_0,
        QuantFormat::Q5_1 => GgmlType::Q5_1,
        QuantFormat::Q4_K => GgmlType::Q4_K,
        QuantFormat::Q6_K => GgmlType::Q6_K,
        QuantFormat::F16 => GgmlType::F16,
        QuantFormat::BF16 => GgmlType::BF16,
    }
}

/// The model as GGUF at `path`: matrices in their block formats
/// (`quantized`), or those same blocks dequantized and stored F32.
fn write_model(spec: &Spec, path: &Path, quantized: bool) {
    let mut w = GgufWriter::new();
    let arch = spec.arch;
    let u32s = [
        ("embedding_length", spec.hidden),
        ("feed_forward_length", spec.ffn),
        ("block_count", spec.layers),
        ("attention.head_count", spec.heads),
        ("attention.head_count_kv", spec.kv_heads),
        ("context_length", 64),
    ];
    w.metadata("general.architecture", GgufValue::String(arch.into()));
    for (key, v) in u32s {
        w.metadata(format!("{arch}.{key}"), GgufValue::U32(v as u32));
    }
    w.metadata(
        format!("{arch}.attention.layer_norm_rms_epsilon"),
        GgufValue::F32(1e-5),
    );
    w.metadata(format!("{arch}.rope.freq_base"), GgufValue::F32(10000.0));
    for ModelTensor {
        name,
        dims,
        format,
        values,
    } in tensors(spec)
    {
        let Some(format) = format else {
            w.tensor_f32(name, &dims, &values);
            continue;
        };
        let cols = dims[0] as usize;
        let bytes = quantize_rows(format, &values, cols).unwrap();
        if quantized {
            w.tensor(name, &dims, ggml_type(format), bytes);
        } else {
            let values = dequantize_rows(format, &bytes, cols).unwrap();
            w.tensor_f32(name, &dims, &values);
        }
    }
    w.write(path).unwrap();
}

fn is_format(w: &Weight, format: QuantFormat) -> bool {
    matches!(w, Weight::Quant(q) if q.format() == format)
}

/// The formats of a (possibly stacked) matrix's parts, in row order.
fn formats(w: &Weight) -> Vec<Option<QuantFormat>> {
    match w {
        Weight::Dense(_) => vec![None],
        Weight::Quant(q) => vec![Some(q.format())],
        Weight::Rows(parts) => parts.iter().flat_map(formats).collect(),
    }
}

/// Writes `spec`'s model quantized and dequantized, loads both on every test
/// adapter, checks the formats on the device (`check`), and compares logits
/// and greedy ids.
fn matches_its_dequantized_f32_twin(spec: &Spec, tag: &str, check: fn(&Decoder, &str)) {
    poison_outputs();
    let tmp = std::env::temp_dir().join(format!("tessera-decoder-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let (q_path, f32_path) = (tmp.join("quantized.gguf"), tmp.join("dequantized.gguf"));
    write_model(spec, &q_path, true);
    write_model(spec, &f32_path, false);
    // Twelve tokens: more than the matvec kernel's eight rows.
    let prompt: Vec<u32> = vec![3, 17, 250, 9, 41, 101, 7, 299, 0, 128, 64, 5];
    for device in test_devices() {
        let context = format!("{tag} on {}", label(device));
        let dense = load_decoder(&f32_path, device).unwrap();
        let decoder = load_decoder(&q_path, device).unwrap();
        check(&decoder, &context);
        assert!(
            decoder.weight_bytes() * spec.compression < dense.weight_bytes(),
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
        let vocab = spec.vocab;
        assert_eq!(got.len(), prompt.len() * vocab, "{context}");
        for p in 0..prompt.len() {
            let row = p * vocab..(p + 1) * vocab;
            let err = logit_relative_error(&got[row.clone()], &want[row]);
            assert!(
                err <= QUANT_VS_DEQUANTIZED_RTOL,
                "{context}: position {p} off by {err:.2e}"
            );
        }
        assert_eq!(
            greedy_ids(&decoder, &prompt[..4], 12),
            greedy_ids(&dense, &prompt[..4], 12),
            "{context}: greedy"
        );
    }
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn k_quant_gguf_matches_its_dequantized_f32_twin() {
    matches_its_dequantized_f32_twin(&LLAMA_Q4_K_M, "llama-q4_k_m", |d, context| {
        assert!(
            is_format(&d.embed, QuantFormat::Q4_K),
            "{context}: embedding not Q4_K"
        );
        assert!(
            is_format(d.lm_head.weight(), QuantFormat::Q6_K),
            "{context}: output head not Q6_K"
        );
    });
}

#[test]
fn qwen_style_q4_k_m_mix_matches_its_dequantized_f32_twin() {
    matches_its_dequantized_f32_twin(&QWEN_Q4_K_M, "qwen-q4_k_m", |d, context| {
        let (q5, q8) = (Some(QuantFormat::Q5_0), Some(QuantFormat::Q8_0));
        assert!(
            d.config.qkv_bias && d.config.tie_word_embeddings,
            "{context}"
        );
        assert!(is_format(&d.embed, QuantFormat::Q8_0), "{context}");
        assert!(
            is_format(d.lm_head.weight(), QuantFormat::Q8_0),
            "{context}"
        );
        // Layer 0: q and k merged as Q5_0 above a Q8_0 v; layer 1 one Q5_0.
        assert_eq!(formats(d.layers[0].qkv.weight()), [q5, q8], "{context}");
        assert_eq!(formats(d.layers[1].qkv.weight()), [q5], "{context}");
        assert_eq!(formats(d.layers[0].gate_up.weight()), [q5], "{context}");
        assert_eq!(formats(d.layers[1].o.weight()), [q5], "{context}");
        let down = |l: usize| formats(d.layers[l].down.weight());
        assert_eq!(down(0), [Some(QuantFormat::Q6_K)], "{context}");
        assert_eq!(down(1), [Some(QuantFormat::Q4_K)], "{context}");
    });
}

#[test]
fn q4_1_q5_1_gguf_matches_its_dequantized_f32_twin() {
    matches_its_dequantized_f32_twin(&LEGACY_Q4_1_Q5_1, "q4_1-q5_1", |d, context| {
        let (q41, q51) = (Some(QuantFormat::Q4_1), Some(QuantFormat::Q5_1));
        assert!(is_format(&d.embed, QuantFormat::Q5_0), "{context}");
        assert!(
            is_format(d.lm_head.weight(), QuantFormat::Q4_1),
            "{context}"
        );
        for layer in &d.layers {
            assert_eq!(formats(layer.qkv.weight()), [q41, q51], "{context}");
            assert_eq!(formats(layer.gate_up.weight()), [q41], "{context}");
            assert_eq!(formats(layer.down.weight()), [q51], "{context}");
        }
    });
}
