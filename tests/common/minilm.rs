//! The real all-MiniLM-L6-v2: its folder and PyTorch's reference outputs in
//! `../shared/refs`.

use std::path::PathBuf;
use tessera_runtime::models::bert::default_model_dir;

/// The reference outputs of the real all-MiniLM-L6-v2 (PyTorch).
pub struct Reference {
    /// The input sentences.
    pub texts: Vec<String>,
    /// Their token ids (special tokens included).
    pub ids: Vec<Vec<u32>>,
    /// Their sentence embeddings.
    pub embeddings: Vec<Vec<f32>>,
    /// The first four rows of the final hidden states, where stored.
    pub first4_hidden: Vec<Vec<Vec<f32>>>,
}

/// Read `../shared/refs/minilm_public.json`.
pub fn load_reference() -> Reference {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/refs/minilm_public.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: serde_json::Value = serde_json::from_str(&text).expect("reference JSON");
    let items = doc["items"].as_array().expect("items");
    let floats = |v: &serde_json::Value| -> Vec<f32> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect()
    };
    Reference {
        texts: items
            .iter()
            .map(|i| i["text"].as_str().unwrap().to_string())
            .collect(),
        ids: items
            .iter()
            .map(|i| {
                i["input_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap() as u32)
                    .collect()
            })
            .collect(),
        embeddings: items.iter().map(|i| floats(&i["embedding"])).collect(),
        first4_hidden: items
            .iter()
            .map(|i| {
                i["first4_hidden"]
                    .as_array()
                    .map(|rows| rows.iter().map(floats).collect())
                    .unwrap_or_default()
            })
            .collect(),
    }
}

/// The model folder (`TESSERA_MODEL_DIR` or the default), or `None` (with a
/// SKIPPED line) when it is missing outside CI.
pub fn model_dir() -> Option<PathBuf> {
    let dir = default_model_dir();
    let dir = if dir.is_relative() {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir)
    } else {
        dir
    };
    if dir.join("model.safetensors").exists() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "model folder {} missing in CI: scripts/fetch-model.sh should have fetched it",
            dir.display()
        );
    }
    eprintln!(
        "SKIPPED: no model at {} (run scripts/fetch-model.sh)",
        dir.display()
    );
    None
}
