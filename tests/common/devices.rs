//! Which devices the integration tests run on.
//!
//! By default the tests use the default adapter (`TESSERA_ADAPTER` or the best
//! one). With `TESSERA_TEST_ADAPTERS=all` they run on every adapter wgpu finds
//! (on a machine without a GPU: lavapipe through Vulkan and llvmpipe through GL);
//! any other value is a comma-separated list of adapter selectors.

use std::sync::{Arc, OnceLock};
use tessera_hal::{enumerate_adapters, open_device, AdapterSelector, Device};

/// Environment variable choosing the test adapters.
pub const TEST_ADAPTERS_ENV: &str = "TESSERA_TEST_ADAPTERS";

/// The devices every op test runs on, opened once per test binary.
pub fn test_devices() -> &'static [Arc<dyn Device>] {
    static DEVICES: OnceLock<Vec<Arc<dyn Device>>> = OnceLock::new();
    DEVICES.get_or_init(|| {
        let selectors: Vec<AdapterSelector> = match std::env::var(TEST_ADAPTERS_ENV).as_deref() {
            Ok("all") => enumerate_adapters()
                .iter()
                .map(|a| AdapterSelector::Named(a.index.to_string()))
                .collect(),
            Ok(list) if !list.trim().is_empty() => list
                .split(',')
                .map(|s| AdapterSelector::Named(s.trim().to_string()))
                .collect(),
            _ => vec![AdapterSelector::Auto],
        };
        let devices: Vec<Arc<dyn Device>> = selectors
            .iter()
            .map(|s| open_device(s).unwrap_or_else(|e| panic!("opening adapter {s:?}: {e}")))
            .collect();
        assert!(!devices.is_empty(), "no adapter to test on");
        for d in &devices {
            eprintln!("testing on: {}", d.adapter().summary());
        }
        devices
    })
}

/// A short label for messages: adapter name and backend.
pub fn label(device: &Arc<dyn Device>) -> String {
    format!("{} [{}]", device.adapter().name, device.adapter().backend)
}

/// Whether `device` can run f16 kernels.
pub fn has_f16(device: &Arc<dyn Device>) -> bool {
    device.adapter().features.shader_f16
}

/// Whether `device` can run subgroup kernels.
pub fn has_subgroups(device: &Arc<dyn Device>) -> bool {
    device.adapter().features.subgroups
}

/// The test devices that run WGSL kernels (not the CPU backend): those with
/// kernel choices to measure, dispatches to count and kernel variants to force.
pub fn kernel_devices() -> impl Iterator<Item = &'static Arc<dyn Device>> {
    test_devices()
        .iter()
        .filter(|d| d.adapter().features.execution == tessera_hal::Execution::WgslPrograms)
}

/// Held by the tests of one binary that count a device's dispatches (and by
/// the others in that binary): the count is the device's, and tests run in
/// parallel threads on the same shared devices.
#[allow(dead_code)] // only the tests that count dispatches use it
pub fn dispatch_count_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}
