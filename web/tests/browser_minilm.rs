//! all-MiniLM-L6-v2 in the browser against PyTorch's embeddings of the public
//! reference sentences (`minilm_public.json`): each sentence alone and all in
//! one padded batch, max |Δ| <= 1e-4, on the browser's WebGPU adapter. The
//! model folder and the reference are fetched from the file server
//! `scripts/test-web.sh` starts, whose URL is fixed at build time
//! (`TESSERA_WEB_FILES_URL`); built without it, the test fails.

#![cfg(target_arch = "wasm32")]

use tessera_runtime::models::bert::SentenceEmbedder;
use tessera_web::{fetch_bytes, open_browser_device};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Largest |Δ| of an embedding value against the reference.
const MAX_ABS_DIFF: f32 = 1e-4;

async fn fetch(base: &str, name: &str) -> Vec<u8> {
    fetch_bytes(&format!("{base}/{name}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "embedding widths differ");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[wasm_bindgen_test]
async fn minilm_embeddings_match_pytorch_in_the_browser() {
    let Some(base) = option_env!("TESSERA_WEB_FILES_URL") else {
        panic!("TESSERA_WEB_FILES_URL was not set at build time: run the browser suite with scripts/test-web.sh");
    };
    let reference: serde_json::Value =
        serde_json::from_slice(&fetch(base, "refs/minilm_public.json").await)
            .expect("minilm_public.json is JSON");
    let items = reference["items"].as_array().expect("items");
    let texts: Vec<&str> = items
        .iter()
        .map(|i| i["text"].as_str().expect("text"))
        .collect();
    let want: Vec<Vec<f32>> = items
        .iter()
        .map(|i| {
            i["embedding"]
                .as_array()
                .expect("embedding")
                .iter()
                .map(|v| v.as_f64().expect("number") as f32)
                .collect()
        })
        .collect();
    assert!(texts.len() >= 4, "only {} reference items", texts.len());

    let device = open_browser_device()
        .await
        .unwrap_or_else(|e| panic!("no WebGPU device in this browser: {e}"));
    console_log!("adapter: {}", device.adapter().summary());
    let config = String::from_utf8(fetch(base, "model/config.json").await).expect("utf-8");
    let tokenizer = fetch(base, "model/tokenizer.json").await;
    let weights = fetch(base, "model/model.safetensors").await;
    let embedder = SentenceEmbedder::from_bytes(&config, &tokenizer, weights, &device)
        .unwrap_or_else(|e| panic!("loading MiniLM in the browser: {e}"));

    let mut worst = 0f32;
    for (text, want) in texts.iter().zip(&want) {
        let got = embedder
            .embed_async(&[text])
            .await
            .unwrap_or_else(|e| panic!("embedding {text:?}: {e}"));
        let d = max_abs_diff(&got[0], want);
        worst = worst.max(d);
        assert!(d <= MAX_ABS_DIFF, "{text:?} alone: max |Δ| {d:.2e}");
    }
    let batch = embedder
        .embed_async(&texts)
        .await
        .unwrap_or_else(|e| panic!("embedding the padded batch: {e}"));
    for ((text, got), want) in texts.iter().zip(&batch).zip(&want) {
        let d = max_abs_diff(got, want);
        worst = worst.max(d);
        assert!(
            d <= MAX_ABS_DIFF,
            "{text:?} in a padded batch: max |Δ| {d:.2e}"
        );
    }
    console_log!(
        "{} sentences alone and batched: worst max |Δ| {worst:.2e} (limit {MAX_ABS_DIFF:.0e})",
        texts.len()
    );
}
