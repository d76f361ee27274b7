//! What the page calls (`wasm-bindgen`): load all-MiniLM-L6-v2 from fetched
//! bytes onto the browser's adapter, and embed sentences, as promises.

use crate::open_browser_device;
use std::rc::Rc;
use tessera_runtime::models::bert::SentenceEmbedder;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// A sentence embedder on the browser's WebGPU adapter.
#[wasm_bindgen]
pub struct WebEmbedder {
    inner: Rc<SentenceEmbedder>,
}

#[wasm_bindgen]
impl WebEmbedder {
    /// Open the browser's device and load the model from the bytes of its
    /// `config.json` (text), `tokenizer.json` and `model.safetensors`.
    pub async fn load(
        config_json: String,
        tokenizer_json: Vec<u8>,
        safetensors: Vec<u8>,
    ) -> Result<WebEmbedder, JsError> {
        let device = open_browser_device().await.map_err(js_error)?;
        let inner =
            SentenceEmbedder::from_bytes(&config_json, &tokenizer_json, safetensors, &device)
                .map_err(js_error)?;
        Ok(WebEmbedder {
            inner: Rc::new(inner),
        })
    }

    /// The adapter's one-line description (name, backend, driver).
    pub fn adapter(&self) -> String {
        self.inner.device().adapter().summary()
    }

    /// Embed `texts` in length-sorted batches of `batch` (as `tessera embed`
    /// does): a promise of one JSON line per text, `{"text":...,"embedding":[...]}`,
    /// joined by newlines, exactly as `tessera embed` prints them.
    pub fn embed_json_lines(&self, texts: Vec<String>, batch: usize) -> js_sys::Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let embeddings = inner
                .embed_batched_async(&refs, batch, |_| ())
                .await
                .map_err(|e| JsValue::from(js_error(e)))?;
            let lines: Vec<String> = refs
                .iter()
                .zip(&embeddings)
                .map(|(text, embedding)| {
                    serde_json::json!({ "text": text, "embedding": embedding }).to_string()
                })
                .collect();
            Ok(JsValue::from_str(&lines.join("\n")))
        })
    }

    /// Embed `texts` as one batch: a promise of a flat `Float32Array` of
    /// `texts.length * dim` values.
    pub fn embed(&self, texts: Vec<String>) -> js_sys::Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let embeddings = inner
                .embed_async(&refs)
                .await
                .map_err(|e| JsValue::from(js_error(e)))?;
            let flat: Vec<f32> = embeddings.concat();
            Ok(js_sys::Float32Array::from(flat.as_slice()).into())
        })
    }

    /// Width of one embedding.
    pub fn dim(&self) -> usize {
        self.inner.config().hidden_size
    }
}

fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}
