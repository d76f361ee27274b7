//! The tiny Llama test model (tests/data/decoders/tiny-llama) in the
//! browser against transformers (its `reference.json`): the tokenizer's
//! prompt ids, the first step's logits within 1e-3, and 24 greedy ids
//! token for token, generated through the async loop the demo page uses
//! (`TextGenerator::generate_text_async`), on the browser's WebGPU adapter.
//! The files come from the server `scripts/test-web.sh` starts
//! (`TESSERA_WEB_FILES_URL`, fixed at build time).

#![cfg(target_arch = "wasm32")]

use tessera_runtime::generation::{GenerateOptions, TextGenerator};
use tessera_web::{fetch_bytes, open_browser_device};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Largest |Δ| of a first-step logit against transformers'.
const LOGIT_TOLERANCE: f32 = 1e-3;

async fn fetch(base: &str, name: &str) -> Vec<u8> {
    fetch_bytes(&format!("{base}/{name}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn ids(value: &serde_json::Value) -> Vec<u32> {
    value
        .as_array()
        .expect("an id list")
        .iter()
        .map(|v| v.as_u64().expect("an id") as u32)
        .collect()
}

#[wasm_bindgen_test]
async fn tiny_llama_generates_transformers_greedy_ids_in_the_browser() {
    let Some(base) = option_env!("TESSERA_WEB_FILES_URL") else {
        panic!("TESSERA_WEB_FILES_URL was not set at build time: run the browser suite with scripts/test-web.sh");
    };
    let reference: serde_json::Value =
        serde_json::from_slice(&fetch(base, "tiny-llama/reference.json").await)
            .expect("reference.json is JSON");
    let device = open_browser_device()
        .await
        .unwrap_or_else(|e| panic!("no WebGPU device in this browser: {e}"));
    let config = String::from_utf8(fetch(base, "tiny-llama/config.json").await).expect("utf-8");
    let tokenizer = fetch(base, "tiny-llama/tokenizer.json").await;
    let weights = fetch(base, "tiny-llama/model.safetensors").await;
    let generator = TextGenerator::from_bytes(&config, &tokenizer, weights, &device)
        .unwrap_or_else(|e| panic!("loading the tiny Llama in the browser: {e}"))
        .with_prepend_bos(reference["bos_prepended"].as_bool().expect("bos_prepended"));

    let prompt = reference["prompt_text"].as_str().expect("prompt_text");
    let prompt_ids = generator
        .encode_prompt(prompt)
        .expect("encoding the prompt");
    assert_eq!(prompt_ids, ids(&reference["prompt_ids"]), "prompt ids");

    let decoder = generator.decoder();
    let mut cache = decoder.new_cache(prompt_ids.len()).expect("a cache");
    let logits = decoder
        .forward(&prompt_ids, &mut cache)
        .expect("the prompt's forward pass")
        .to_f32_vec_async()
        .await
        .expect("reading the logits back");
    let want: Vec<f32> = reference["logits_first_step"]
        .as_array()
        .expect("logits_first_step")
        .iter()
        .map(|v| v.as_f64().expect("a logit") as f32)
        .collect();
    assert_eq!(logits.len(), want.len(), "logit count");
    let worst = logits
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(
        worst <= LOGIT_TOLERANCE,
        "first-step logits: max |Δ| {worst:.2e}"
    );

    let want_ids = ids(&reference["greedy_ids"]);
    let options = GenerateOptions {
        max_new_tokens: want_ids.len(),
        stop_at_eos: false,
        ..GenerateOptions::default()
    };
    let mut pieces = 0;
    let done = generator
        .generate_text_async(prompt, &options, |_| {
            pieces += 1;
            true
        })
        .await
        .unwrap_or_else(|e| panic!("generating: {e}"));
    assert_eq!(done.generation.ids, want_ids, "greedy ids");
    assert_eq!(pieces, want_ids.len(), "one streamed piece per token");
    console_log!(
        "tiny-llama on {}: first-step logits max |Δ| {worst:.2e}, {} greedy ids equal transformers'",
        device.adapter().summary(),
        want_ids.len()
    );
}
