//! BERT checkpoints other than MiniLM: the architecture comes from config.json,
//! and a checkpoint that does not match its config is a LoadError naming the
//! file and the tensor; bf16 linear weights stay bf16 on the device. Tiny
//! random checkpoints are written by the test itself.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use tessera_runtime::loaders::{
    write_safetensors_bf16, write_safetensors_f32, LoadError, SafetensorsFile,
};
use tessera_runtime::models::bert::{load_encoder, BertConfig, SentenceEmbedder};
use tessera_runtime::nn::Weight;
use tessera_runtime::quant::QuantFormat;
use tessera_runtime::Error;

const CONFIG: &str = r#"{"hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 2,
  "intermediate_size": 12, "layer_norm_eps": 1e-12, "max_position_embeddings": 16,
  "vocab_size": 40, "type_vocab_size": 2, "hidden_act": "gelu"}"#;

/// A model folder with random weights; `edit` may drop or reshape entries.
fn write_checkpoint(tag: &str, edit: impl Fn(&mut Vec<(String, Vec<usize>)>)) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tessera-bert-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.json"), CONFIG).unwrap();
    let tokenizer = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny_tokenizer.json");
    std::fs::copy(&tokenizer, dir.join("tokenizer.json")).unwrap();
    let mut list = bert_tensor_shapes(8, 12, 2, 40, 16);
    edit(&mut list);
    let (mut rng, _) = seeded_rng(tag);
    let values: Vec<Vec<f32>> = list
        .iter()
        .map(|(_, s)| random_vec(&mut rng, s.iter().product(), -0.5, 0.5))
        .collect();
    let tensors: Vec<(&str, &[usize], &[f32])> = list
        .iter()
        .zip(&values)
        .map(|((n, s), v)| (n.as_str(), s.as_slice(), v.as_slice()))
        .collect();
    write_safetensors_f32(&dir.join("model.safetensors"), &tensors).unwrap();
    dir
}

#[test]
fn a_tiny_bert_from_its_own_config_runs() {
    let dir = write_checkpoint("ok", |_| {});
    for dev in test_devices() {
        let model = SentenceEmbedder::load(&dir, dev).unwrap();
        assert_eq!(model.config().hidden_size, 8);
        let out = model.embed_ids(&[vec![1, 5, 7, 2], vec![1, 3, 2]]).unwrap();
        assert_eq!(out.len(), 2);
        for e in &out {
            assert_eq!(e.len(), 8);
            let norm: f32 = e.iter().map(|v| v * v).sum::<f32>().sqrt();
            assert!(
                (norm - 1.0).abs() < 1e-4 && e.iter().all(|v| v.is_finite()),
                "{e:?}"
            );
        }
        let text = model.embed(&["hello world", ""]).unwrap();
        assert_eq!(text.len(), 2);
    }
}

#[test]
fn missing_tensor_names_file_and_tensor() {
    let dir = write_checkpoint("missing", |l| {
        l.retain(|(n, _)| n != "encoder.layer.1.output.dense.weight")
    });
    match SentenceEmbedder::load(&dir, &test_devices()[0]) {
        Err(Error::Load(LoadError::MissingTensor { path, tensor })) => {
            assert_eq!(tensor, "encoder.layer.1.output.dense.weight");
            assert!(path.ends_with("model.safetensors"));
        }
        other => panic!("expected MissingTensor, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn wrong_shape_for_config_names_the_tensor() {
    let dir = write_checkpoint("shape", |l| {
        for (n, s) in l.iter_mut() {
            if n == "encoder.layer.0.intermediate.dense.weight" {
                *s = vec![10, 8];
            }
        }
    });
    match SentenceEmbedder::load(&dir, &test_devices()[0]) {
        Err(Error::Load(LoadError::ShapeMismatch {
            tensor,
            expected,
            found,
            ..
        })) => {
            assert_eq!(tensor, "encoder.layer.0.intermediate.dense.weight");
            assert_eq!((expected, found), (vec![12, 8], vec![10, 8]));
        }
        other => panic!("expected ShapeMismatch, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn truncated_weights_file_is_a_load_error() {
    let dir = write_checkpoint("truncated", |_| {});
    let path = dir.join("model.safetensors");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(
        SentenceEmbedder::load(&dir, &test_devices()[0]),
        Err(Error::Load(LoadError::BadTensor { .. }))
    ));
}

/// Largest |bf16-weight embedding - rounded-f32-weight embedding| (unit-norm
/// embeddings: f32 accumulation in a different kernel order).
const BF16_VS_ROUNDED_ATOL: f32 = 1e-5;

#[test]
fn bf16_linear_weights_stay_bf16_and_match_rounded_f32_weights() {
    // Hidden 32 and intermediate 64: linear rows are whole 32-value blocks.
    let config = r#"{"hidden_size": 32, "num_attention_heads": 2, "num_hidden_layers": 2,
      "intermediate_size": 64, "layer_norm_eps": 1e-12, "max_position_embeddings": 16,
      "vocab_size": 40, "type_vocab_size": 2, "hidden_act": "gelu"}"#;
    let (mut rng, seed) = seeded_rng("bf16_linear_weights_stay_bf16");
    let list = bert_tensor_shapes(32, 64, 2, 40, 16);
    let values: Vec<Vec<f32>> = list
        .iter()
        .map(|(_, s)| {
            let v = random_vec(&mut rng, s.iter().product(), -0.5, 0.5);
            v.iter()
                .map(|&x| half::bf16::from_f32(x).to_f32())
                .collect()
        })
        .collect();
    let tensors: Vec<(&str, &[usize], &[f32])> = list
        .iter()
        .zip(&values)
        .map(|((n, s), v)| (n.as_str(), s.as_slice(), v.as_slice()))
        .collect();
    let tokenizer = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny_tokenizer.json");
    let dirs = ["bf16", "f32"].map(|tag| {
        let dir = std::env::temp_dir().join(format!("tessera-bert-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.json"), config).unwrap();
        std::fs::copy(&tokenizer, dir.join("tokenizer.json")).unwrap();
        dir
    });
    write_safetensors_bf16(&dirs[0].join("model.safetensors"), &tensors).unwrap();
    write_safetensors_f32(&dirs[1].join("model.safetensors"), &tensors).unwrap();
    let ids = [vec![1, 5, 7, 2, 9, 11, 3], vec![1, 3, 2]];
    for dev in test_devices() {
        let ctx = format!("on {} seed {seed}", label(dev));
        let cfg = BertConfig::from_file(&dirs[0].join("config.json")).unwrap();
        let file = SafetensorsFile::open(&dirs[0].join("model.safetensors")).unwrap();
        let encoder = load_encoder(&cfg, &file, dev).unwrap();
        for layer in &encoder.layers {
            for linear in [
                &layer.query,
                &layer.value,
                &layer.intermediate,
                &layer.output,
            ] {
                assert!(
                    matches!(linear.weight(), Weight::Quant(q) if q.format() == QuantFormat::BF16),
                    "{ctx}: a linear weight is not bf16"
                );
            }
        }
        let got = SentenceEmbedder::load(&dirs[0], dev)
            .unwrap()
            .embed_ids(&ids)
            .unwrap();
        let want = SentenceEmbedder::load(&dirs[1], dev)
            .unwrap()
            .embed_ids(&ids)
            .unwrap();
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.len(), 32, "{ctx}");
            for (a, b) in g.iter().zip(w) {
                assert!((a - b).abs() <= BF16_VS_ROUNDED_ATOL, "{ctx}: {a} vs {b}");
            }
        }
    }
    for dir in dirs {
        std::fs::remove_dir_all(dir).ok();
    }
}
