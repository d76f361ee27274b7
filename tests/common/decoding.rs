//! Helpers of the decoder tests: the tiny reference checkpoints and their
//! references, greedy continuations, and the logit error measure their
//! tolerances are stated in.

use serde_json::Value;
use std::path::{Path, PathBuf};
use tessera_runtime::generation::{generate, GenerateOptions};
use tessera_runtime::models::llama::Decoder;

/// The folder of a tiny reference decoder (`tiny-llama`, `tiny-qwen2`) in
/// `tests/data/decoders/`.
pub fn decoder_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/decoders")
        .join(name)
}

/// The `reference.json` of a tiny reference decoder.
pub fn decoder_reference(name: &str) -> Value {
    let text = std::fs::read_to_string(decoder_dir(name).join("reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The token ids of a JSON array.
pub fn json_ids(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

/// `steps` greedy tokens after `prompt`, end-of-sequence ignored.
pub fn greedy_ids(decoder: &Decoder, prompt: &[u32], steps: usize) -> Vec<u32> {
    let options = GenerateOptions {
        max_new_tokens: steps,
        stop_at_eos: false,
        stop_ids: Vec::new(),
        ..Default::default()
    };
    generate(decoder, prompt, &options, |_| true).unwrap().ids
}

/// Largest |a - b| over the largest |b| (infinite when `actual` has a
/// non-finite value).
pub fn logit_relative_error(actual: &[f32], expected: &[f32]) -> f64 {
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
