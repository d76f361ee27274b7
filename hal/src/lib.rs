//! Tessera's device layer: adapters, buffers, pipelines and dispatch.
//!
//! Rules of this crate:
//! - It knows GPUs, not tensors. The [`Device`] trait is small and object-safe; the
//!   runtime holds `Arc<dyn Device>` and never names a wgpu type. A device
//!   compiles a [`Program`] lowered for its backend (WGSL for wgpu), never an op.
//! - [`WgpuDevice`] is the real implementation; [`CpuDevice`] is the CPU backend
//!   (host memory, no programs: the runtime runs each op's reference on it);
//!   [`NullDevice`] records calls and keeps buffers in host memory, so scheduling
//!   code can be tested without a GPU.
//! - Ops ask a device for capabilities ([`DeviceFeatures`]: how it executes
//!   ops, f16, subgroups and their size, timestamps, host memory; and
//!   [`DeviceLimits`]), never for a backend name or an adapter type.
//! - Every failure is a typed [`DeviceError`]: wgpu validation and out-of-memory
//!   errors are caught with error scopes, errors outside a scope and device loss
//!   are reported by the next call. Nothing is only logged.
//! - Dispatches are recorded and submitted in batches; reads flush; host writes are
//!   ordered after recorded work. Dropped buffers return to a size-class pool
//!   with a byte budget (32 MiB, or `TESSERA_POOL_BYTES`); past it the oldest
//!   free buffers are released. [`DeviceStats`] counts the bytes held and their peak.
//!   Bind groups are reused for dispatches that bind the same buffers (parameters
//!   reach each dispatch through a dynamic offset); the cache is dropped whenever
//!   a buffer is released, so it never keeps freed memory alive.
//! - On-disk caches live under [`cache_dir::cache_dir`]; a missing, unreadable or
//!   corrupt cache file is ignored and rewritten, never an error.
//! - A buffer may be larger than one storage binding (up to `max_buffer_size`);
//!   a dispatch binds a [`Buffer::window`] of it, at an aligned offset, no
//!   larger than the binding limit. [`DeviceOptions`] (or
//!   `TESSERA_MAX_BINDING_BYTES`) caps that limit so tests run split paths.
//! - Adapter choice: `TESSERA_ADAPTER` (index, or name/backend substring), else
//!   discrete GPU, integrated, virtual, then software; the CPU backend (listed
//!   last, backend `cpu`) only by name, or when no wgpu adapter exists.
//! - A lost device (out of memory, driver reset) fails every later call with
//!   [`DeviceError::Lost`] and says so through [`Device::is_lost`]; its owner
//!   recovers with [`reopen_device`] and reloads what it held.

mod adapter;
pub mod cache_dir;
mod cpu;
mod device;
mod error;
mod host_memory;
mod null;
mod oneshot;
mod options;
pub mod pool;
mod program;
mod wgpu_backend;

pub use adapter::{
    choose_adapter, AdapterDescription, AdapterSelector, AdapterType, DeviceFeatures, DeviceLimits,
    Execution, ADAPTER_ENV,
};
pub use cpu::CpuDevice;
pub use device::{Buffer, BufferRecycler, Device, DeviceStats, Pipeline, ReadFuture, TimerToken};
pub use error::{DeviceError, Result};
pub use host_memory::HostMemory;
pub use null::{NullDevice, RecordedDispatch};
pub use options::{DeviceOptions, MAX_BINDING_ENV, MIN_BINDING_CAP};
pub use program::Program;
pub use wgpu_backend::WgpuDevice;

use std::sync::Arc;

/// Every adapter on this machine: what wgpu finds (Vulkan, GL, Metal, DX12;
/// the browser's WebGPU adapter on the web), then the CPU backend.
pub async fn enumerate_adapters_async() -> Vec<AdapterDescription> {
    let mut adapters: Vec<AdapterDescription> =
        wgpu_backend::enumerate_async(&wgpu_backend::create_instance())
            .await
            .into_iter()
            .map(|(_, d)| d)
            .collect();
    adapters.push(CpuDevice::description(adapters.len()));
    adapters
}

/// [`enumerate_adapters_async`], blocking (native only).
#[cfg(not(target_arch = "wasm32"))]
pub fn enumerate_adapters() -> Vec<AdapterDescription> {
    pollster::block_on(enumerate_adapters_async())
}

/// Open a device on the adapter `selector` names: a wgpu adapter, or the CPU
/// backend (by name, or when wgpu finds no adapter at all), with the options
/// the environment sets ([`DeviceOptions::from_env`]). Blocking (native only).
#[cfg(not(target_arch = "wasm32"))]
pub fn open_device(selector: &AdapterSelector) -> Result<Arc<dyn Device>> {
    open_device_with(selector, &DeviceOptions::from_env()?)
}

/// [`open_device`] with explicit options (the environment is not read).
/// Blocking (native only): [`open_device_async`] driven to the end.
#[cfg(not(target_arch = "wasm32"))]
pub fn open_device_with(
    selector: &AdapterSelector,
    options: &DeviceOptions,
) -> Result<Arc<dyn Device>> {
    pollster::block_on(open_device_async(selector, options))
}

/// Open a device on the adapter `selector` names, with `options`, without
/// blocking: the one way to open a device on the web (where the browser's
/// WebGPU adapter is the only wgpu adapter), and what the native blocking
/// calls wait on.
pub async fn open_device_async(
    selector: &AdapterSelector,
    options: &DeviceOptions,
) -> Result<Arc<dyn Device>> {
    let instance = wgpu_backend::create_instance();
    let mut found = wgpu_backend::enumerate_async(&instance).await;
    let mut descriptions: Vec<AdapterDescription> = found.iter().map(|(_, d)| d.clone()).collect();
    descriptions.push(CpuDevice::description(found.len()));
    let Some(i) = choose_adapter(&descriptions, selector) else {
        return Err(DeviceError::AdapterNotFound {
            selector: format!("{:?}", selector.resolved()),
            available: descriptions
                .iter()
                .map(|d| d.summary())
                .collect::<Vec<_>>()
                .join("\n"),
        });
    };
    if i == found.len() {
        if found.is_empty() {
            tracing::warn!(
                "no GPU or software adapter found; running on the slow CPU reference backend ({})",
                DeviceError::NoAdapter
            );
        }
        return Ok(Arc::new(CpuDevice::with_options(i, options)));
    }
    let (adapter, description) = found.swap_remove(i);
    Ok(Arc::new(
        WgpuDevice::from_adapter_async(&instance, adapter, description, options).await?,
    ))
}

/// Open a fresh device on the adapter `device` runs on (same backend, name
/// and driver; the same listing index where it still matches): the way back
/// from a lost device ([`Device::is_lost`]). Nothing of the old device carries
/// over; its owner reloads what lived there. The binding limit it planned
/// with (a [`DeviceOptions::max_binding_bytes`] cap) stays. Blocking (native
/// only): [`reopen_device_async`] driven to the end.
#[cfg(not(target_arch = "wasm32"))]
pub fn reopen_device(device: &dyn Device) -> Result<Arc<dyn Device>> {
    pollster::block_on(reopen_device_async(device))
}

/// [`reopen_device`] without blocking.
pub async fn reopen_device_async(device: &dyn Device) -> Result<Arc<dyn Device>> {
    let old = device.adapter().clone();
    let options = DeviceOptions {
        max_binding_bytes: Some(old.limits.max_storage_buffer_binding_size),
    };
    let cpu = CpuDevice::description(old.index);
    let same = |d: &AdapterDescription| {
        d.backend == old.backend && d.name == old.name && d.driver == old.driver
    };
    if same(&cpu) {
        return Ok(Arc::new(CpuDevice::with_options(old.index, &options)));
    }
    let instance = wgpu_backend::create_instance();
    let mut found = wgpu_backend::enumerate_async(&instance).await;
    let pick = found
        .iter()
        .position(|(_, d)| d.index == old.index && same(d))
        .or_else(|| found.iter().position(|(_, d)| same(d)));
    let Some(i) = pick else {
        return Err(DeviceError::AdapterNotFound {
            selector: format!("{} [{}] to reopen", old.name, old.backend),
            available: found
                .iter()
                .map(|(_, d)| d.summary())
                .collect::<Vec<_>>()
                .join("\n"),
        });
    };
    let (adapter, description) = found.swap_remove(i);
    Ok(Arc::new(
        WgpuDevice::from_adapter_async(&instance, adapter, description, &options).await?,
    ))
}

/// Open the default device: `TESSERA_ADAPTER` if set, else the best adapter.
/// Blocking (native only).
#[cfg(not(target_arch = "wasm32"))]
pub fn open_default_device() -> Result<Arc<dyn Device>> {
    open_device(&AdapterSelector::Auto)
}
