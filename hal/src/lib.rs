//! Tessera's device layer: adapters, buffers, pipelines and dispatch.
//!
//! Rules of this crate:
//! - It knows GPUs, not tensors. The [`Device`] trait is small and object-safe; the
//!   runtime holds `Arc<dyn Device>` and never names a wgpu type.
//! - [`WgpuDevice`] is the real implementation; [`NullDevice`] records calls and keeps
//!   buffers in host memory, so scheduling code can be tested without a GPU.
//! - Every failure is a typed [`DeviceError`]: wgpu validation and out-of-memory
//!   errors are caught with error scopes, errors outside a scope and device loss
//!   are reported by the next call. Nothing is only logged.
//! - Dispatches are recorded and submitted in batches; reads flush; host writes are
//!   ordered after recorded work. Dropped buffers return to a size-class pool.
//!   Bind groups are reused for dispatches that bind the same buffers (parameters
//!   reach each dispatch through a dynamic offset); the cache is dropped whenever
//!   a buffer is released, so it never keeps freed memory alive.
//! - On-disk caches live under [`cache_dir::cache_dir`]; a missing, unreadable or
//!   corrupt cache file is ignored and rewritten, never an error.
//! - Adapter choice: `TESSERA_ADAPTER` (index, or name/backend substring), else
//!   discrete GPU, integrated, virtual, then software.

mod adapter;
pub mod cache_dir;
mod device;
mod error;
mod null;
pub mod pool;
mod wgpu_backend;

pub use adapter::{
    choose_adapter, AdapterDescription, AdapterSelector, AdapterType, DeviceFeatures, DeviceLimits,
    ADAPTER_ENV,
};
pub use device::{Buffer, BufferRecycler, Device, DeviceStats, Pipeline, TimerToken};
pub use error::{DeviceError, Result};
pub use null::{NullDevice, RecordedDispatch};
pub use wgpu_backend::WgpuDevice;

use std::sync::Arc;

/// Every adapter wgpu finds on this machine (Vulkan, GL, Metal, DX12).
pub fn enumerate_adapters() -> Vec<AdapterDescription> {
    wgpu_backend::enumerate(&wgpu_backend::create_instance())
        .into_iter()
        .map(|(_, d)| d)
        .collect()
}

/// Open a device on the adapter `selector` names.
pub fn open_device(selector: &AdapterSelector) -> Result<Arc<dyn Device>> {
    Ok(Arc::new(WgpuDevice::open(selector)?))
}

/// Open the default device: `TESSERA_ADAPTER` if set, else the best adapter.
pub fn open_default_device() -> Result<Arc<dyn Device>> {
    open_device(&AdapterSelector::Auto)
}
