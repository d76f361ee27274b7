//! Fetching bytes from the page's server (the browser's `fetch`), for the
//! browser tests; the page itself fetches in JavaScript.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// A `fetch` response (only what is used here).
    type Response;
    #[wasm_bindgen(method, getter)]
    fn ok(this: &Response) -> bool;
    #[wasm_bindgen(method, getter)]
    fn status(this: &Response) -> u16;
    #[wasm_bindgen(method, js_name = arrayBuffer)]
    fn array_buffer(this: &Response) -> js_sys::Promise;
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_promise(url: &str) -> js_sys::Promise;
}

/// The bytes at `url`, or why not (network error, HTTP status).
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let response: Response = JsFuture::from(fetch_promise(url))
        .await
        .map_err(|e| format!("fetching {url}: {e:?}"))?
        .unchecked_into();
    if !response.ok() {
        return Err(format!("fetching {url}: HTTP {}", response.status()));
    }
    let buffer = JsFuture::from(response.array_buffer())
        .await
        .map_err(|e| format!("reading {url}: {e:?}"))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}
