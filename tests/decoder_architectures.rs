//! The architectures of issue #15 on tiny checkpoints made with transformers
//! (`scripts/make_tiny_decoders.py`, `tests/data/decoders/tiny-*`): Llama 3.x
//! rotary scaling (config.json's `rope_scaling`, GGUF's `rope_freqs.weight`),
//! Mistral (`model_type: mistral`, a sliding window shorter than the
//! context), Qwen3 (per-head q/k RMSNorm, its own head width, GGUF arch
//! `qwen3`), and the shapes of SmolLM2 (tied, 3 query heads on 1 KV head) and
//! TinyLlama (untied, 6 on 1). Logits and greedy ids against transformers'
//! from safetensors and from GGUF on every test adapter; hostile values of the
//! new fields are typed errors.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tessera_hal::Device;
use tessera_runtime::generation::{generate, GenerateOptions};
use tessera_runtime::loaders::gguf::{GgufModelFile, GgufWriter};
use tessera_runtime::loaders::LoadError;
use tessera_runtime::models::llama::{load_decoder, Decoder, DecoderConfig, Family};
use tessera_runtime::Error;

const MODELS: [&str; 5] = [
    "tiny-llama3",
    "tiny-mistral",
    "tiny-qwen3",
    "tiny-smollm2",
    "tiny-tinyllama",
];

fn load(path: &Path, device: &Arc<dyn Device>) -> Decoder {
    load_decoder(path, device).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every prompt position in one batched pass, the last one again through the
/// cache, and the greedy continuation, against the reference.
fn check(decoder: &Decoder, reference: &Value, context: &str) {
    check_all_positions(decoder, reference, context);
    check_first_step_and_greedy(decoder, reference, reference, context);
}

#[test]
fn safetensors_and_gguf_match_transformers() {
    poison_outputs();
    for device in test_devices() {
        for name in MODELS {
            let reference = decoder_reference(name);
            for path in [decoder_dir(name), decoder_dir(name).join("model-f32.gguf")] {
                let decoder = load(&path, device);
                let file = path.file_name().unwrap().to_string_lossy();
                check(
                    &decoder,
                    &reference,
                    &format!("{name} {file} {}", label(device)),
                );
            }
        }
    }
}

#[test]
fn each_checkpoint_has_the_shape_it_stands_for() {
    let device = &test_devices()[0];
    let config = |name: &str| load(&decoder_dir(name), device).config;
    let gguf = |name: &str| load(&decoder_dir(name).join("model-f32.gguf"), device);

    // Llama 3: scaling from config.json; the GGUF's rope_freqs.weight gives
    // the same rotary tables.
    let llama3 = config("tiny-llama3");
    let scaling = llama3.rope_scaling.expect("rope_scaling");
    assert_eq!(scaling.factor, 8.0);
    assert_eq!(scaling.original_max_position_embeddings, 64);
    let from_st = load(&decoder_dir("tiny-llama3"), device);
    let from_gguf = gguf("tiny-llama3");
    assert_eq!(from_gguf.config.rope_scaling, None);
    for (a, b) in [
        (&from_st.rope.cos, &from_gguf.rope.cos),
        (&from_st.rope.sin, &from_gguf.rope.sin),
    ] {
        let (a, b) = (a.to_f32_vec().unwrap(), b.to_f32_vec().unwrap());
        let worst = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        assert!(worst <= 1e-5, "rotary tables differ by {worst}");
    }

    // Mistral: the usable context is the sliding window.
    let mistral = config("tiny-mistral");
    assert_eq!(mistral.family, Family::Llama);
    assert_eq!(mistral.sliding_window, Some(64));
    assert_eq!(mistral.max_position_embeddings, 64);

    // Qwen3: q/k norms, a head wider than hidden / heads, no biases.
    let qwen3 = gguf("tiny-qwen3");
    assert_eq!(qwen3.config.family, Family::Qwen3);
    assert_eq!(qwen3.config.head_dim, 16);
    assert_ne!(
        qwen3.config.head_dim * qwen3.config.num_heads,
        qwen3.config.hidden_size
    );
    assert!(!qwen3.config.qkv_bias);
    assert!(qwen3.layers.iter().all(|l| l.qk_norm.is_some()));

    // SmolLM2 and TinyLlama shapes.
    let smol = config("tiny-smollm2");
    assert!(smol.tie_word_embeddings);
    assert_eq!((smol.num_heads, smol.num_kv_heads), (3, 1));
    let tiny = config("tiny-tinyllama");
    assert!(!tiny.tie_word_embeddings);
    assert_eq!(tiny.group_size(), 6);
}

#[test]
fn the_sliding_window_bounds_generation() {
    let device = &test_devices()[0];
    let decoder = load(&decoder_dir("tiny-mistral"), device);
    let options = GenerateOptions {
        max_new_tokens: 64,
        stop_at_eos: false,
        ..Default::default()
    };
    let err = generate(&decoder, &[0, 5, 6], &options, |_| true).unwrap_err();
    assert!(err.to_string().contains("context"), "{err}");
    assert!(decoder.new_cache(65).is_err());
}

fn config_error(name: &str, edit: impl FnOnce(&mut Value)) -> String {
    let path = decoder_dir(name).join("config.json");
    let mut json: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut json);
    match DecoderConfig::from_hf_json(&path, &json.to_string()) {
        Err(e @ (LoadError::InvalidField { .. } | LoadError::BadConfig { .. })) => e.to_string(),
        other => panic!("{name}: expected a config error, got {other:?}"),
    }
}

/// Where config.json keeps the llama3 scaling (transformers 5: rope_parameters).
fn scaling_key(json: &Value) -> &'static str {
    match json.get("rope_scaling").is_some_and(|v| !v.is_null()) {
        true => "rope_scaling",
        false => "rope_parameters",
    }
}

#[test]
fn hostile_config_values_are_typed_errors() {
    for (field, value, needle) in [
        ("factor", Value::from(f64::MAX), "factor"),
        ("factor", Value::from(-8.0), "factor"),
        ("low_freq_factor", Value::from(0.0), "low_freq_factor"),
        ("high_freq_factor", Value::from(0.5), "must exceed"),
        (
            "original_max_position_embeddings",
            Value::from(0),
            "original_max",
        ),
        (
            "original_max_position_embeddings",
            Value::from(u64::MAX),
            "original_max",
        ),
        ("rope_type", Value::from("yarn"), "yarn"),
    ] {
        let err = config_error("tiny-llama3", |j| {
            let key = scaling_key(j);
            j[key][field] = value.clone();
        });
        assert!(err.contains(needle), "{field}: {err}");
    }
    let err = config_error("tiny-llama3", |j| {
        let key = scaling_key(j);
        j[key].as_object_mut().unwrap().remove("factor");
    });
    assert!(err.contains("factor"), "{err}");
    for (value, needle) in [
        (Value::from(0), "sliding_window"),
        (Value::from(1u64 << 40), "sliding_window"),
        (Value::from("64"), "sliding_window"),
    ] {
        let err = config_error("tiny-mistral", |j| j["sliding_window"] = value.clone());
        assert!(err.contains(needle), "{err}");
    }
    let err = config_error("tiny-qwen3", |j| j["attention_bias"] = Value::from(true));
    assert!(err.contains("attention_bias"), "{err}");
    let err = config_error("tiny-qwen3", |j| j["model_type"] = Value::from("qwen3_moe"));
    assert!(err.contains("qwen3_moe"), "{err}");
}

/// A copy of `name`'s F32 GGUF without tensor `drop`, with `add` added (f32
/// values of GGML dims), written to a scratch file.
fn edited_gguf(name: &str, drop: &str, add: Option<(&str, &[u64], &[f32])>) -> PathBuf {
    let file = GgufModelFile::open(&decoder_dir(name).join("model-f32.gguf")).unwrap();
    let header = file.header();
    let mut w = GgufWriter::new();
    for (key, value) in &header.metadata {
        w.metadata(key.clone(), value.clone());
    }
    for t in header.tensors.iter().filter(|t| t.name != drop) {
        w.tensor(
            t.name.clone(),
            &t.dims,
            t.ggml_type,
            file.tensor_bytes(&t.name).unwrap(),
        );
    }
    if let Some((tensor, dims, values)) = add {
        w.tensor_f32(tensor, dims, values);
    }
    let dir = std::env::temp_dir().join(format!("tessera-arch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}-{}.gguf", drop.replace('.', "_")));
    w.write(&path).unwrap();
    path
}

#[test]
fn hostile_gguf_values_are_typed_errors() {
    let device = &test_devices()[0];
    let rope = "rope_freqs.weight";
    let good = tessera_runtime::models::llama::Llama3RopeScaling {
        factor: 8.0,
        low_freq_factor: 1.0,
        high_freq_factor: 4.0,
        original_max_position_embeddings: 64,
    }
    .freq_factors(8, 10000.0);
    // The edit machinery itself keeps a loadable file.
    let same = edited_gguf("tiny-llama3", rope, Some((rope, &[4], &good)));
    assert!(load_decoder(&same, device).is_ok());
    for (values, dims) in [
        (vec![1.0, 2.0, f32::NAN, 8.0], vec![4u64]),
        (vec![1.0, 2.0, 0.0, 8.0], vec![4]),
        (vec![1.0, 2.0, -4.0, 8.0], vec![4]),
        (vec![1.0, 2.0, 1e30, 8.0], vec![4]),
        (vec![1.0, 2.0, 4.0], vec![3]),
    ] {
        let path = edited_gguf("tiny-llama3", rope, Some((rope, &dims, &values)));
        match load_decoder(&path, device) {
            Err(Error::Load(e)) => assert!(e.to_string().contains(rope), "{values:?}: {e}"),
            other => panic!(
                "{values:?}: expected a load error, got {:?}",
                other.map(|_| ())
            ),
        }
    }
    let path = edited_gguf("tiny-qwen3", "blk.1.attn_k_norm.weight", None);
    assert!(matches!(
        load_decoder(&path, device),
        Err(Error::Load(LoadError::MissingTensor { tensor, .. })) if tensor == "blk.1.attn_k_norm.weight"
    ));
    let _ = std::fs::remove_dir_all(
        std::env::temp_dir().join(format!("tessera-arch-{}", std::process::id())),
    );
}

#[test]
fn one_batched_step_matches_each_sequence_alone() {
    // The batch path (Decoder::forward_batch) runs the same layer features
    // (q/k norms, scaled rotary tables) as the one-sequence path.
    poison_outputs();
    for device in test_devices() {
        for name in MODELS {
            let decoder = load(&decoder_dir(name).join("model-f32.gguf"), device);
            let prompt = json_ids(&decoder_reference(name)["prompt_ids"]);
            let prefixes = [&prompt[..5], &prompt[..9]];
            let next = [prompt[5], prompt[9]];
            let mut caches: Vec<_> = prefixes
                .iter()
                .map(|p| {
                    let mut cache = decoder.new_cache(16).unwrap();
                    decoder.forward(p, &mut cache).unwrap();
                    cache
                })
                .collect();
            let mut refs: Vec<_> = caches.iter_mut().collect();
            let batched = decoder
                .forward_batch(&next, &mut refs)
                .unwrap()
                .to_f32_vec()
                .unwrap();
            let vocab = decoder.config.vocab_size;
            for (i, (prefix, id)) in prefixes.iter().zip(next).enumerate() {
                let mut cache = decoder.new_cache(16).unwrap();
                decoder.forward(prefix, &mut cache).unwrap();
                let alone = decoder
                    .forward(&[id], &mut cache)
                    .unwrap()
                    .to_f32_vec()
                    .unwrap();
                let err = logit_relative_error(&batched[i * vocab..(i + 1) * vocab], &alone);
                assert!(
                    err <= 1e-4,
                    "{name} {} sequence {i}: batched off by {err:.2e}",
                    label(device)
                );
            }
        }
    }
}
