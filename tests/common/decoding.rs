//! Helpers of the decoder tests: greedy continuations and the logit error
//! measure their tolerances are stated in.

use tessera_runtime::generation::{generate, GenerateOptions};
use tessera_runtime::models::llama::Decoder;

/// `steps` greedy tokens after `prompt`, end-of-sequence ignored.
pub fn greedy_ids(decoder: &Decoder, prompt: &[u32], steps: usize) -> Vec<u32> {
    let options = GenerateOptions {
        max_new_tokens: steps,
        stop_at_eos: false,
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
