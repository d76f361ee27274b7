//! Tessera in the browser: the page's entry points (`wasm-bindgen`) over the
//! same runtime native code uses, through its async seam (an async device
//! open and async read-backs; nothing on the web blocks).
//!
//! Rules of this crate:
//! - Only WebGPU: the device is the browser's adapter, never the CPU backend
//!   in disguise ([`open_browser_device`] fails when the browser has none).
//! - Files arrive as bytes (fetched by the page); nothing reads a file system.

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(target_arch = "wasm32")]
mod fetch;
#[cfg(target_arch = "wasm32")]
mod generator_bindings;

#[cfg(target_arch = "wasm32")]
pub use fetch::fetch_bytes;

use std::sync::Arc;
use tessera_hal::{open_device_async, AdapterSelector, Device, DeviceOptions};

/// Why the page could not get a WebGPU device.
#[derive(Debug)]
pub enum WebError {
    /// The browser offered no WebGPU adapter (WebGPU off or unsupported).
    NoAdapter(String),
    /// Opening the device failed.
    Device(tessera_hal::DeviceError),
}

impl std::fmt::Display for WebError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WebError::NoAdapter(found) => write!(
                f,
                "the browser offers no WebGPU adapter (Chromium needs \
                 --enable-unsafe-webgpu on Linux); found: {found}"
            ),
            WebError::Device(e) => write!(f, "opening the WebGPU device: {e}"),
        }
    }
}

impl std::error::Error for WebError {}

/// Open a device on the browser's WebGPU adapter.
pub async fn open_browser_device() -> Result<Arc<dyn Device>, WebError> {
    let device = open_device_async(&AdapterSelector::Best, &DeviceOptions::default())
        .await
        .map_err(WebError::Device)?;
    if device.adapter().backend == "cpu" {
        return Err(WebError::NoAdapter(device.adapter().summary()));
    }
    Ok(device)
}
