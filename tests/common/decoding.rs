//! Helpers of the decoder tests: the tiny reference checkpoints and their
//! references, greedy continuations, and the logit error measure their
//! tolerances are stated in.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tessera_hal::Device;
use tessera_runtime::generation::{generate, GenerateOptions, TextGenerator};
use tessera_runtime::models::llama::Decoder;

/// The folder of a tiny reference decoder (`tiny-llama`, `tiny-qwen2`) in
/// `tests/data/decoders/`.
pub fn decoder_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/decoders")
        .join(name)
}

/// A tiny reference decoder's generator on `device`: its safetensors folder,
/// or `file` in it (a GGUF).
pub fn load_generator(name: &str, file: Option<&str>, device: &Arc<dyn Device>) -> TextGenerator {
    let path = file.map_or(decoder_dir(name), |f| decoder_dir(name).join(f));
    TextGenerator::load(&path, device).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
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

/// Logits must match within this fraction of the largest |logit|.
pub const LOGIT_RTOL: f64 = 1e-3;
/// Greedy steps that must match token for token.
pub const GREEDY_STEPS: usize = 24;

/// The numbers of a JSON array as f32.
pub fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

/// `decoder`'s first-step logits and greedy continuation of the reference's
/// prompt against `expected` (the reference itself for f32, or its `q8_0` /
/// `q4_0` section).
pub fn check_first_step_and_greedy(
    decoder: &Decoder,
    reference: &Value,
    expected: &Value,
    context: &str,
) {
    let prompt = json_ids(&reference["prompt_ids"]);
    let mut cache = decoder.new_cache(prompt.len()).unwrap();
    let logits = decoder.forward(&prompt, &mut cache).unwrap();
    let err = logit_relative_error(
        &logits.to_f32_vec().unwrap(),
        &floats(&expected["logits_first_step"]),
    );
    assert!(
        err <= LOGIT_RTOL,
        "{context}: first-step logits off by {err:.2e} of the largest"
    );
    assert_eq!(
        greedy_ids(decoder, &prompt, GREEDY_STEPS),
        json_ids(&expected["greedy_ids"]),
        "{context}: greedy continuation"
    );
}

/// The logits of every prompt position, from one batched pass, against the
/// reference's `logits_all_positions`.
pub fn check_all_positions(decoder: &Decoder, reference: &Value, context: &str) {
    let prompt = json_ids(&reference["prompt_ids"]);
    let mut cache = decoder.new_cache(prompt.len()).unwrap();
    let all = decoder
        .forward_all(&prompt, &mut cache)
        .unwrap()
        .to_f32_vec()
        .unwrap();
    let vocab = decoder.config.vocab_size;
    for (p, row) in reference["logits_all_positions"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let err = logit_relative_error(&all[p * vocab..(p + 1) * vocab], &floats(row));
        assert!(
            err <= LOGIT_RTOL,
            "{context} position {p}: off by {err:.2e}"
        );
    }
}
