//! A tiny BERT checkpoint written by the test itself: random weights of the
//! shapes [`TINY_BERT_CONFIG`] describes, the tiny WordPiece tokenizer, and a
//! config.json of the caller's choice (to make it hostile).

use super::{random_vec, seeded_rng};
use std::path::{Path, PathBuf};
use tessera_runtime::loaders::write_safetensors_f32;

/// config.json of the tiny BERT (16 positions: inputs are cut at 16 tokens).
pub const TINY_BERT_CONFIG: &str = r#"{"hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 2,
  "intermediate_size": 12, "layer_norm_eps": 1e-12, "max_position_embeddings": 16,
  "vocab_size": 40, "type_vocab_size": 2, "hidden_act": "gelu"}"#;

/// A tiny BERT folder with random weights (the shapes `TINY_BERT_CONFIG` describes)
/// and `config` as its config.json.
pub fn write_tiny_bert(dir: &Path, config: &str) -> PathBuf {
    let (h, inter, vocab, pos) = (8, 12, 40, 16);
    let list = bert_tensor_shapes(h, inter, 2, vocab, pos);
    std::fs::create_dir_all(dir).unwrap();
    let (mut rng, _) = seeded_rng("hostile-bert");
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
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny_tokenizer.json"),
        dir.join("tokenizer.json"),
    )
    .unwrap();
    std::fs::write(dir.join("config.json"), config).unwrap();
    dir.to_path_buf()
}

/// Name and shape of every tensor of a BERT checkpoint (sentence-transformers
/// names, no `bert.` prefix) with `layers` layers.
pub fn bert_tensor_shapes(
    h: usize,
    inter: usize,
    layers: usize,
    vocab: usize,
    pos: usize,
) -> Vec<(String, Vec<usize>)> {
    let mut t = vec![
        (
            "embeddings.word_embeddings.weight".to_string(),
            vec![vocab, h],
        ),
        (
            "embeddings.position_embeddings.weight".to_string(),
            vec![pos, h],
        ),
        (
            "embeddings.token_type_embeddings.weight".to_string(),
            vec![2, h],
        ),
        ("embeddings.LayerNorm.weight".to_string(), vec![h]),
        ("embeddings.LayerNorm.bias".to_string(), vec![h]),
    ];
    for i in 0..layers {
        let p = format!("encoder.layer.{i}");
        for (name, shape) in [
            ("attention.self.query", vec![h, h]),
            ("attention.self.key", vec![h, h]),
            ("attention.self.value", vec![h, h]),
            ("attention.output.dense", vec![h, h]),
            ("intermediate.dense", vec![inter, h]),
            ("output.dense", vec![h, inter]),
        ] {
            t.push((format!("{p}.{name}.bias"), vec![shape[0]]));
            t.push((format!("{p}.{name}.weight"), shape));
        }
        for norm in ["attention.output.LayerNorm", "output.LayerNorm"] {
            t.push((format!("{p}.{norm}.weight"), vec![h]));
            t.push((format!("{p}.{norm}.bias"), vec![h]));
        }
    }
    t
}
