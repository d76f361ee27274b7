//! Structured: hostile *values* in well-formed model files. The input is a list
//! of edits to the metadata of valid tiny checkpoints (a Llama and a Qwen2
//! GGUF, a Llama config.json with its safetensors weights, a BERT config.json
//! with its weights): a key, taken from the ones the loaders read, set to a
//! value of any type, often an edge value (0, 1, 2^31, u32::MAX, u64::MAX,
//! -1, NaN, infinities, 1e300), or removed. The edited files go through the
//! real loaders onto the CPU backend. Whatever happens must be a `Result`:
//! never a panic, an abort or an allocation the size of a hostile value (run
//! under `-rss_limit_mb`). A model that loads has a config within the caps.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::Value as Json;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use tessera_hal::{CpuDevice, Device};
use tessera_runtime::loaders::gguf::{GgufModelFile, GgufValue, GgufWriter};
use tessera_runtime::loaders::limits::{MAX_CONTEXT, MAX_HIDDEN, MAX_LAYERS, MAX_VOCAB};
use tessera_runtime::loaders::SafetensorsFile;
use tessera_runtime::models::bert::{load_encoder, BertConfig};
use tessera_runtime::models::llama::{decoder_from_gguf, decoder_from_safetensors, DecoderConfig};

const LLAMA_GGUF: &[u8] = include_bytes!("../../tests/data/decoders/tiny-llama/model-q4_0.gguf");
const QWEN_GGUF: &[u8] = include_bytes!("../../tests/data/decoders/tiny-qwen2/model-q4_0.gguf");
const LLAMA_JSON: &str = include_str!("../../tests/data/decoders/tiny-llama/config.json");
const LLAMA_WEIGHTS: &[u8] =
    include_bytes!("../../tests/data/decoders/tiny-llama/model.safetensors");

/// The keys a GGUF decoder's loader reads (after the `{arch}.` prefix where
/// it has one).
const GGUF_KEYS: &[&str] = &[
    "block_count",
    "embedding_length",
    "feed_forward_length",
    "attention.head_count",
    "attention.head_count_kv",
    "attention.key_length",
    "attention.layer_norm_rms_epsilon",
    "rope.freq_base",
    "rope.dimension_count",
    "context_length",
    "vocab_size",
    "/general.architecture",
    "/tokenizer.ggml.bos_token_id",
    "/tokenizer.ggml.eos_token_id",
];

const LLAMA_JSON_KEYS: &[&str] = &[
    "num_hidden_layers",
    "hidden_size",
    "intermediate_size",
    "num_attention_heads",
    "num_key_value_heads",
    "head_dim",
    "vocab_size",
    "max_position_embeddings",
    "rms_norm_eps",
    "rope_theta",
    "rope_parameters",
    "bos_token_id",
    "eos_token_id",
    "tie_word_embeddings",
    "model_type",
];

const BERT_KEYS: &[&str] = &[
    "num_hidden_layers",
    "hidden_size",
    "intermediate_size",
    "num_attention_heads",
    "vocab_size",
    "max_position_embeddings",
    "type_vocab_size",
    "layer_norm_eps",
];

const BERT_JSON: &str = r#"{"hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 2,
  "intermediate_size": 12, "layer_norm_eps": 1e-12, "max_position_embeddings": 16,
  "vocab_size": 40, "type_vocab_size": 2, "hidden_act": "gelu"}"#;

/// A value for an edited key.
#[derive(Arbitrary, Debug)]
enum Value {
    /// One of the values that break careless loaders.
    Edge(u8),
    U32(u32),
    U64(u64),
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
    Bool(bool),
    Str(String),
    Remove,
}

const EDGES: &[f64] = &[
    0.0,
    1.0,
    2.0,
    3.0,
    -1.0,
    2147483648.0,
    4294967295.0,
    4e9,
    1.8446744073709552e19,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    1e300,
    1e-300,
    65536.0,
    1048576.0,
];

#[derive(Arbitrary, Debug)]
struct Edit {
    key: u8,
    value: Value,
}

#[derive(Arbitrary, Debug)]
enum Target {
    Gguf { qwen: bool, edits: Vec<Edit> },
    DecoderJson(Vec<Edit>),
    BertJson(Vec<Edit>),
}

fn device() -> &'static Arc<dyn Device> {
    static DEVICE: OnceLock<Arc<dyn Device>> = OnceLock::new();
    DEVICE.get_or_init(|| Arc::new(CpuDevice::new(0)))
}

fn gguf_value(value: &Value) -> Option<GgufValue> {
    Some(match value {
        Value::Edge(i) => {
            let v = EDGES[*i as usize % EDGES.len()];
            if v >= 0.0 && v.fract() == 0.0 && v <= u64::MAX as f64 {
                match u32::try_from(v as u64) {
                    Ok(small) => GgufValue::U32(small),
                    Err(_) => GgufValue::U64(v as u64),
                }
            } else {
                GgufValue::F32(v as f32)
            }
        }
        Value::U32(v) => GgufValue::U32(*v),
        Value::U64(v) => GgufValue::U64(*v),
        Value::I32(v) => GgufValue::I32(*v),
        Value::I64(v) => GgufValue::I64(*v),
        Value::F32(v) => GgufValue::F32(*v),
        Value::F64(v) => GgufValue::F64(*v),
        Value::Bool(v) => GgufValue::Bool(*v),
        Value::Str(v) => GgufValue::String(v.clone()),
        Value::Remove => return None,
    })
}

fn json_value(value: &Value) -> Option<Json> {
    Some(match value {
        Value::Edge(i) => {
            let v = EDGES[*i as usize % EDGES.len()];
            if v >= 0.0 && v.fract() == 0.0 && v <= u64::MAX as f64 {
                Json::from(v as u64)
            } else {
                // JSON has no NaN or infinity: those become null.
                Json::from(v)
            }
        }
        Value::U32(v) => Json::from(*v),
        Value::U64(v) => Json::from(*v),
        Value::I32(v) => Json::from(*v),
        Value::I64(v) => Json::from(*v),
        Value::F32(v) => Json::from(*v),
        Value::F64(v) => Json::from(*v),
        Value::Bool(v) => Json::from(*v),
        Value::Str(v) => Json::from(v.clone()),
        Value::Remove => return None,
    })
}

fn edit_json(text: &str, keys: &[&str], edits: &[Edit]) -> String {
    let mut json: Json = serde_json::from_str(text).expect("seed config parses");
    let object = json.as_object_mut().expect("seed config is an object");
    for edit in edits.iter().take(8) {
        let key = keys[edit.key as usize % keys.len()];
        match json_value(&edit.value) {
            Some(v) => object.insert(key.to_string(), v),
            None => object.remove(key),
        };
    }
    json.to_string()
}

fn check_decoder_config(c: &DecoderConfig) {
    assert!((1..=MAX_LAYERS).contains(&c.num_layers));
    assert!((1..=MAX_HIDDEN).contains(&c.hidden_size));
    assert!((1..=MAX_VOCAB).contains(&c.vocab_size));
    assert!((1..=MAX_CONTEXT).contains(&c.max_position_embeddings));
    assert!(c.num_kv_heads > 0 && c.num_heads.is_multiple_of(c.num_kv_heads));
    assert!(c.rms_norm_eps.is_finite() && c.rms_norm_eps > 0.0);
    assert!(c.rope_theta.is_finite() && c.rope_theta > 0.0);
}

fn gguf(qwen: bool, edits: &[Edit]) {
    let seed = if qwen { QWEN_GGUF } else { LLAMA_GGUF };
    let path = Path::new("fuzz.gguf");
    let source = GgufModelFile::from_bytes(path, seed.to_vec()).expect("seed GGUF parses");
    let arch = source.header().architecture().expect("seed arch").to_string();
    let mut writer = GgufWriter::copy_of(&source).expect("seed GGUF copies");
    for edit in edits.iter().take(8) {
        let key = GGUF_KEYS[edit.key as usize % GGUF_KEYS.len()];
        let key = match key.strip_prefix('/') {
            Some(global) => global.to_string(),
            None => format!("{arch}.{key}"),
        };
        match gguf_value(&edit.value) {
            Some(v) => {
                writer.set_metadata(&key, v);
            }
            None => {
                writer.remove_metadata(&key);
            }
        }
    }
    let Ok(bytes) = writer.to_bytes() else {
        return;
    };
    let Ok(file) = GgufModelFile::from_bytes(path, bytes) else {
        return;
    };
    if let Ok(decoder) = decoder_from_gguf(&file, device()) {
        check_decoder_config(&decoder.config);
        assert_eq!(decoder.layers.len(), decoder.config.num_layers);
    }
}

fn decoder_json(edits: &[Edit]) {
    let text = edit_json(LLAMA_JSON, LLAMA_JSON_KEYS, edits);
    let path = Path::new("config.json");
    let Ok(config) = DecoderConfig::from_hf_json(path, &text) else {
        return;
    };
    check_decoder_config(&config);
    let weights = weights_file();
    if config.check_against_safetensors(path, weights).is_err() {
        return;
    }
    if let Ok(decoder) = decoder_from_safetensors(config, weights, device()) {
        assert_eq!(decoder.layers.len(), decoder.config.num_layers);
    }
}

fn weights_file() -> &'static SafetensorsFile {
    static FILE: OnceLock<SafetensorsFile> = OnceLock::new();
    FILE.get_or_init(|| {
        SafetensorsFile::from_bytes(Path::new("model.safetensors"), LLAMA_WEIGHTS.to_vec())
            .expect("seed weights parse")
    })
}

fn bert_json(edits: &[Edit]) {
    let text = edit_json(BERT_JSON, BERT_KEYS, edits);
    let Ok(config) = BertConfig::from_json(Path::new("config.json"), &text) else {
        return;
    };
    assert!((1..=MAX_LAYERS).contains(&config.num_hidden_layers));
    assert!(config.hidden_size.is_multiple_of(config.num_attention_heads));
    // Weights of the seed shapes: the config must agree with them to load.
    if let Ok(encoder) = load_encoder(&config, bert_weights(), device()) {
        assert_eq!(encoder.layers.len(), config.num_hidden_layers);
    }
}

fn bert_weights() -> &'static SafetensorsFile {
    static FILE: OnceLock<SafetensorsFile> = OnceLock::new();
    FILE.get_or_init(|| {
        let (h, inter, vocab, pos) = (8, 12, 40, 16);
        let mut list: Vec<(String, Vec<usize>)> = vec![
            ("embeddings.word_embeddings.weight".into(), vec![vocab, h]),
            ("embeddings.position_embeddings.weight".into(), vec![pos, h]),
            ("embeddings.token_type_embeddings.weight".into(), vec![2, h]),
            ("embeddings.LayerNorm.weight".into(), vec![h]),
            ("embeddings.LayerNorm.bias".into(), vec![h]),
        ];
        for i in 0..2 {
            let p = format!("encoder.layer.{i}");
            for (name, shape) in [
                ("attention.self.query", vec![h, h]),
                ("attention.self.key", vec![h, h]),
                ("attention.self.value", vec![h, h]),
                ("attention.output.dense", vec![h, h]),
                ("intermediate.dense", vec![inter, h]),
                ("output.dense", vec![h, inter]),
            ] {
                list.push((format!("{p}.{name}.bias"), vec![shape[0]]));
                list.push((format!("{p}.{name}.weight"), shape));
            }
            for norm in ["attention.output.LayerNorm", "output.LayerNorm"] {
                list.push((format!("{p}.{norm}.weight"), vec![h]));
                list.push((format!("{p}.{norm}.bias"), vec![h]));
            }
        }
        let values: Vec<Vec<f32>> = list
            .iter()
            .map(|(_, s)| (0..s.iter().product::<usize>()).map(|i| (i % 7) as f32 * 0.1 - 0.3).collect())
            .collect();
        let tensors: Vec<(&str, &[usize], &[f32])> = list
            .iter()
            .zip(&values)
            .map(|((n, s), v)| (n.as_str(), s.as_slice(), v.as_slice()))
            .collect();
        let dir = std::env::temp_dir().join(format!("tessera-fuzz-bert-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("model.safetensors");
        tessera_runtime::loaders::write_safetensors_f32(&path, &tensors).expect("write weights");
        let bytes = std::fs::read(&path).expect("read weights");
        SafetensorsFile::from_bytes(&path, bytes).expect("seed weights parse")
    })
}

fuzz_target!(|target: Target| {
    match target {
        Target::Gguf { qwen, edits } => gguf(qwen, &edits),
        Target::DecoderJson(edits) => decoder_json(&edits),
        Target::BertJson(edits) => bert_json(&edits),
    }
});
