//! What the page's second panel calls (`wasm-bindgen`): a Llama-family
//! decoder loaded from fetched bytes onto the browser's adapter, generating
//! text with every step's read-back awaited (nothing blocks the page).

use crate::open_browser_device;
use std::rc::Rc;
use tessera_runtime::generation::{GenerateOptions, SamplingConfig, TextGenerator};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// A text generator on the browser's WebGPU adapter.
#[wasm_bindgen]
pub struct WebGenerator {
    inner: Rc<TextGenerator>,
}

#[wasm_bindgen]
impl WebGenerator {
    /// Open the browser's device and load the decoder from the bytes of its
    /// `config.json` (text), `tokenizer.json` and `model.safetensors`.
    /// `prepend_bos` puts the model's beginning-of-sequence id first when the
    /// tokenizer does not.
    pub async fn load(
        config_json: String,
        tokenizer_json: Vec<u8>,
        safetensors: Vec<u8>,
        prepend_bos: bool,
    ) -> Result<WebGenerator, JsError> {
        let device = open_browser_device().await.map_err(js_error)?;
        let inner = TextGenerator::from_bytes(&config_json, &tokenizer_json, safetensors, &device)
            .map_err(js_error)?
            .with_prepend_bos(prepend_bos);
        Ok(WebGenerator {
            inner: Rc::new(inner),
        })
    }

    /// The adapter's one-line description (name, backend, driver).
    pub fn adapter(&self) -> String {
        self.inner.device().adapter().summary()
    }

    /// Generate up to `max_new_tokens` greedily after `prompt`, calling
    /// `on_piece(text)` with each token's text as it is produced: a promise of
    /// a JSON object `{"text", "prompt_ids", "ids", "stop", "prompt_seconds",
    /// "decode_tokens_per_second"}`.
    pub fn generate(
        &self,
        prompt: String,
        max_new_tokens: usize,
        on_piece: js_sys::Function,
    ) -> js_sys::Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let options = GenerateOptions {
                max_new_tokens,
                sampling: SamplingConfig::default(),
                stop_at_eos: false,
                ..GenerateOptions::default()
            };
            let done = inner
                .generate_text_async(&prompt, &options, |piece| {
                    on_piece
                        .call1(&JsValue::NULL, &JsValue::from_str(piece))
                        .is_ok()
                })
                .await
                .map_err(|e| JsValue::from(js_error(e)))?;
            let g = &done.generation;
            let summary = serde_json::json!({
                "text": done.text,
                "prompt_ids": g.prompt_ids,
                "ids": g.ids,
                "stop": format!("{:?}", g.stop),
                "prompt_seconds": g.prompt_seconds,
                "decode_tokens_per_second": g.decode_tokens_per_second(),
            });
            Ok(JsValue::from_str(&summary.to_string()))
        })
    }
}

fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}
