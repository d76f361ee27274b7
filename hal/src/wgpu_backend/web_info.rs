//! The web adapter's name. wgpu names a WebGPU adapter by its
//! `GPUAdapterInfo.description`, which browsers leave empty (Chromium does);
//! the vendor, architecture and device fields are usually filled, so the name
//! is read from the browser's adapter info directly.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A readable name for the browser's default WebGPU adapter: its description,
/// or else its vendor, architecture and device joined, or else "WebGPU
/// adapter" (with "fallback" for a software adapter).
pub async fn browser_adapter_name(fallback: bool) -> String {
    let parts = adapter_info_parts().await.unwrap_or_default();
    name_from_parts(&parts, fallback)
}

/// Join the non-empty info fields (description first, alone, when present).
fn name_from_parts(parts: &[String], fallback: bool) -> String {
    if let Some(description) = parts.first().filter(|d| !d.is_empty()) {
        return description.clone();
    }
    let joined: Vec<&str> = parts
        .iter()
        .skip(1)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    match (joined.is_empty(), fallback) {
        (false, _) => joined.join(" "),
        (true, true) => "WebGPU fallback adapter".to_string(),
        (true, false) => "WebGPU adapter".to_string(),
    }
}

/// `[description, vendor, architecture, device]` of
/// `navigator.gpu.requestAdapter()`'s `info`; None where the page has no
/// WebGPU or no adapter.
async fn adapter_info_parts() -> Option<Vec<String>> {
    let get = |v: &JsValue, key: &str| Reflect::get(v, &JsValue::from_str(key)).ok();
    let navigator = get(&js_sys::global(), "navigator")?;
    let gpu = get(&navigator, "gpu").filter(|g| !g.is_undefined())?;
    let request: Function = get(&gpu, "requestAdapter")?.dyn_into().ok()?;
    let promise: Promise = request.call0(&gpu).ok()?.dyn_into().ok()?;
    let adapter = JsFuture::from(promise)
        .await
        .ok()
        .filter(|a| !a.is_null())?;
    let info = get(&adapter, "info").filter(|i| !i.is_undefined())?;
    Some(
        ["description", "vendor", "architecture", "device"]
            .iter()
            .map(|key| {
                get(&info, key)
                    .and_then(|v| v.as_string())
                    .unwrap_or_default()
            })
            .collect(),
    )
}
