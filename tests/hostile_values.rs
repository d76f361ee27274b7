//! Hostile values in well-formed files: a GGUF, a decoder's config.json and a
//! BERT config.json whose structure is valid but whose sizes are impossible
//! (4e9 layers, zero widths, heads that do not divide, NaN epsilons, a vocab
//! that disagrees with the token table). Each must be a `LoadError` naming the
//! field, through the loader API and through the CLI, and never an abort.
//! The files are written to a temporary folder from the tiny checkpoints.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use tessera_hal::{open_device, AdapterSelector, Device};
use tessera_runtime::generation::TextGenerator;
use tessera_runtime::loaders::gguf::{GgufModelFile, GgufValue, GgufWriter};
use tessera_runtime::loaders::LoadError;
use tessera_runtime::models::bert::SentenceEmbedder;
use tessera_runtime::models::llama::load_decoder;
use tessera_runtime::Error;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tessera-hostile-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The host backend: loading fails before anything runs, so no GPU is needed.
fn cpu() -> Arc<dyn Device> {
    open_device(&AdapterSelector::Named("cpu".into())).unwrap()
}

fn tessera(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .args(["--adapter", "cpu"])
        .output()
        .expect("run tessera")
}

/// The command failed with exit status 1 (an error, not a signal) and a
/// message naming `field`.
#[track_caller]
fn assert_cli_names(out: &Output, field: &str, case: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{case}: {:?} {stderr}",
        out.status
    );
    assert!(stderr.contains(field), "{case}: {stderr}");
    assert!(!stderr.contains("panicked"), "{case}: {stderr}");
}

#[track_caller]
fn assert_names<T>(result: Result<T, Error>, field: &str, case: &str) {
    match result {
        Err(Error::Load(LoadError::InvalidField { field: f, .. })) if f == field => {}
        Err(other) => panic!("{case}: expected InvalidField {field}, got {other}"),
        Ok(_) => panic!("{case}: accepted"),
    }
}

#[test]
fn hostile_gguf_metadata_names_the_key() {
    let source = GgufModelFile::open(&data("decoders/tiny-llama/model-f32.gguf")).unwrap();
    let dir = scratch("gguf");
    let device = cpu();
    let cases: Vec<(&str, GgufValue, &str)> = vec![
        (
            "llama.block_count",
            GgufValue::U32(4_000_000_000),
            "llama.block_count",
        ),
        (
            "llama.block_count",
            GgufValue::U64(u64::MAX),
            "llama.block_count",
        ),
        ("llama.block_count", GgufValue::U32(3), "llama.block_count"),
        ("llama.block_count", GgufValue::U32(0), "llama.block_count"),
        (
            "llama.embedding_length",
            GgufValue::U32(0),
            "llama.embedding_length",
        ),
        (
            "llama.embedding_length",
            GgufValue::U64(1 << 40),
            "llama.embedding_length",
        ),
        (
            "llama.feed_forward_length",
            GgufValue::U64(1 << 33),
            "llama.feed_forward_length",
        ),
        (
            "llama.attention.head_count",
            GgufValue::U32(0),
            "llama.attention.head_count",
        ),
        (
            "llama.attention.head_count_kv",
            GgufValue::U32(3),
            "llama.attention.head_count_kv",
        ),
        (
            "llama.attention.head_count_kv",
            GgufValue::U32(8),
            "llama.attention.head_count_kv",
        ),
        (
            "llama.attention.key_length",
            GgufValue::U32(1 << 20),
            "llama.attention.key_length",
        ),
        (
            "llama.rope.dimension_count",
            GgufValue::U32(4096),
            "llama.rope.dimension_count",
        ),
        ("llama.vocab_size", GgufValue::U32(385), "llama.vocab_size"),
        (
            "llama.vocab_size",
            GgufValue::U64(u64::MAX / 2),
            "llama.vocab_size",
        ),
        (
            "llama.context_length",
            GgufValue::U32(0),
            "llama.context_length",
        ),
        (
            "llama.context_length",
            GgufValue::U32(u32::MAX),
            "llama.context_length",
        ),
        (
            "llama.attention.layer_norm_rms_epsilon",
            GgufValue::F32(f32::NAN),
            "llama.attention.layer_norm_rms_epsilon",
        ),
        (
            "llama.attention.layer_norm_rms_epsilon",
            GgufValue::F32(-1e-5),
            "llama.attention.layer_norm_rms_epsilon",
        ),
        (
            "llama.rope.freq_base",
            GgufValue::F32(f32::INFINITY),
            "llama.rope.freq_base",
        ),
        (
            "llama.rope.freq_base",
            GgufValue::F32(0.0),
            "llama.rope.freq_base",
        ),
        (
            "tokenizer.ggml.bos_token_id",
            GgufValue::U32(384),
            "tokenizer.ggml.bos_token_id",
        ),
    ];
    for (i, (key, value, field)) in cases.into_iter().enumerate() {
        let case = format!("{key} = {value:?}");
        let mut writer = GgufWriter::copy_of(&source).unwrap();
        writer.set_metadata(key, value);
        let path = dir.join(format!("case{i}.gguf"));
        writer.write(&path).unwrap();
        assert_names(load_decoder(&path, &device), field, &case);
        let out = tessera(&[
            "generate",
            "--model",
            path.to_str().unwrap(),
            "--prompt-ids",
            "1,2",
        ]);
        assert_cli_names(&out, field, &case);
    }
    // The unedited copy loads: the cases fail for their value alone.
    let path = dir.join("unedited.gguf");
    GgufWriter::copy_of(&source).unwrap().write(&path).unwrap();
    load_decoder(&path, &device).unwrap();
}

/// A copy of the tiny Llama folder whose config.json has `edit` applied.
fn decoder_folder(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let src = data("decoders/tiny-llama");
    std::fs::create_dir_all(dir).unwrap();
    for file in ["model.safetensors", "tokenizer.json"] {
        std::fs::copy(src.join(file), dir.join(file)).unwrap();
    }
    let text = std::fs::read_to_string(src.join("config.json")).unwrap();
    let mut config: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit(&mut config);
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    dir.to_path_buf()
}

#[test]
fn hostile_decoder_config_json_names_the_field() {
    let root = scratch("decoder-json");
    let device = cpu();
    let cases: Vec<(&str, serde_json::Value, &str)> = vec![
        (
            "num_hidden_layers",
            4_000_000_000u64.into(),
            "num_hidden_layers",
        ),
        ("num_hidden_layers", 3.into(), "num_hidden_layers"),
        ("num_hidden_layers", 0.into(), "num_hidden_layers"),
        ("hidden_size", 0.into(), "hidden_size"),
        ("hidden_size", (1u64 << 40).into(), "hidden_size"),
        ("hidden_size", 128.into(), "hidden_size"),
        ("intermediate_size", u64::MAX.into(), "intermediate_size"),
        ("num_attention_heads", 5.into(), "num_key_value_heads"),
        ("num_attention_heads", 100_000.into(), "num_attention_heads"),
        ("num_key_value_heads", 3.into(), "num_key_value_heads"),
        ("num_key_value_heads", 0.into(), "num_key_value_heads"),
        ("head_dim", 17.into(), "head_dim"),
        ("head_dim", 4096.into(), "head_dim"),
        ("vocab_size", 385.into(), "vocab_size"),
        ("vocab_size", (1u64 << 40).into(), "vocab_size"),
        (
            "max_position_embeddings",
            0.into(),
            "max_position_embeddings",
        ),
        (
            "max_position_embeddings",
            1_000_000_000_000u64.into(),
            "max_position_embeddings",
        ),
        ("rms_norm_eps", (-1e-5).into(), "rms_norm_eps"),
        ("rms_norm_eps", 0.0.into(), "rms_norm_eps"),
        ("rope_theta", (-10000.0).into(), "rope_theta"),
        ("rope_theta", 1e300.into(), "rope_theta"),
        ("bos_token_id", 384.into(), "bos_token_id"),
    ];
    for (i, (key, value, field)) in cases.into_iter().enumerate() {
        let case = format!("{key} = {value}");
        let dir = decoder_folder(&root.join(format!("case{i}")), |c| {
            c[key] = value.clone();
        });
        assert_names(load_decoder(&dir, &device), field, &case);
        let out = tessera(&[
            "generate",
            "--model",
            dir.to_str().unwrap(),
            "--prompt-ids",
            "1,2",
        ]);
        assert_cli_names(&out, field, &case);
    }
    let dir = decoder_folder(&root.join("unedited"), |_| {});
    load_decoder(&dir, &device).unwrap();
}

#[test]
fn a_tokenizer_beyond_the_token_table_is_refused() {
    let dir = data("decoders/tiny-llama");
    // The model's own tokenizer with 16 more entries than its 384 rows.
    let text = std::fs::read_to_string(dir.join("tokenizer.json")).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let vocab = json["model"]["vocab"].as_object_mut().unwrap();
    let first = vocab.len();
    for i in 0..16 {
        vocab.insert(format!("extra{i}"), (first + i).into());
    }
    let big = scratch("tokenizer").join("tokenizer.json");
    std::fs::write(&big, json.to_string()).unwrap();
    let device = cpu();
    let n = tessera_runtime::generation::DecoderTokenizer::from_file(&big)
        .unwrap()
        .vocab_size();
    assert!(
        n > 384,
        "the test needs a tokenizer of more than 384 ids: {n}"
    );
    let result = TextGenerator::load_with_tokenizer(&dir, &big, &device).map(|_| ());
    assert_names(result, "tokenizer vocabulary", "400 ids");
    // The model's own tokenizer fits.
    TextGenerator::load_with_tokenizer(&dir, &dir.join("tokenizer.json"), &device).unwrap();
}

#[test]
fn hostile_bert_config_json_names_the_field() {
    let root = scratch("bert");
    let device = cpu();
    let cases = [
        (
            "\"num_hidden_layers\": 2",
            "\"num_hidden_layers\": 4000000000",
            "num_hidden_layers",
        ),
        (
            "\"num_hidden_layers\": 2",
            "\"num_hidden_layers\": 3",
            "num_hidden_layers",
        ),
        ("\"hidden_size\": 8", "\"hidden_size\": 0", "hidden_size"),
        ("\"hidden_size\": 8", "\"hidden_size\": 16", "hidden_size"),
        (
            "\"hidden_size\": 8",
            "\"hidden_size\": 1099511627776",
            "hidden_size",
        ),
        (
            "\"num_attention_heads\": 2",
            "\"num_attention_heads\": 3",
            "num_attention_heads",
        ),
        (
            "\"intermediate_size\": 12",
            "\"intermediate_size\": 99999999999",
            "intermediate_size",
        ),
        ("\"vocab_size\": 40", "\"vocab_size\": 41", "vocab_size"),
        (
            "\"vocab_size\": 40",
            "\"vocab_size\": 18446744073709551615",
            "vocab_size",
        ),
        (
            "\"max_position_embeddings\": 16",
            "\"max_position_embeddings\": 0",
            "max_position_embeddings",
        ),
        (
            "\"max_position_embeddings\": 16",
            "\"max_position_embeddings\": 17",
            "max_position_embeddings",
        ),
        (
            "\"type_vocab_size\": 2",
            "\"type_vocab_size\": 1000000000000",
            "type_vocab_size",
        ),
        (
            "\"layer_norm_eps\": 1e-12",
            "\"layer_norm_eps\": -1",
            "layer_norm_eps",
        ),
        (
            "\"layer_norm_eps\": 1e-12",
            "\"layer_norm_eps\": 0",
            "layer_norm_eps",
        ),
    ];
    for (i, (from, to, field)) in cases.into_iter().enumerate() {
        let config = TINY_BERT_CONFIG.replace(from, to);
        assert_ne!(config, TINY_BERT_CONFIG, "{from}");
        let dir = write_tiny_bert(&root.join(format!("case{i}")), &config);
        assert_names(SentenceEmbedder::load(&dir, &device), field, to);
        let out = tessera(&["embed", "--model", dir.to_str().unwrap(), "hello"]);
        assert_cli_names(&out, field, to);
    }
    let dir = write_tiny_bert(&root.join("unedited"), TINY_BERT_CONFIG);
    SentenceEmbedder::load(&dir, &device).unwrap();
}
