//! The CPU backend's device: host memory and no programs. The runtime executes
//! every op on it directly with the op's reference implementation
//! ([`Execution::HostOps`]); handing it a WGSL program is an error.
//!
//! It is the proof that the device seam does not assume WGSL, and the template
//! for a vendor-runtime backend (see docs/ARCHITECTURE.md): such a device
//! would keep its memory on the accelerator and run the runtime's op calls
//! with its vendor's kernels instead.

use crate::adapter::{AdapterDescription, AdapterType, DeviceFeatures, DeviceLimits, Execution};
use crate::device::{Buffer, Device, DeviceStats, Pipeline, TimerToken};
use crate::error::{DeviceError, Result};
use crate::host_memory::{alloc_host, read_host, write_host, DropRecycler};
use crate::options::DeviceOptions;
use crate::program::Program;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

static NEXT_CPU_ID: AtomicU64 = AtomicU64::new(2 << 32);

/// Largest single buffer of the CPU backend (and largest tensor): 4 GiB.
const CPU_MAX_BUFFER: u64 = 1 << 32;

/// The CPU backend's device.
#[derive(Debug)]
pub struct CpuDevice {
    id: u64,
    description: AdapterDescription,
    stats: Mutex<DeviceStats>,
    recycler: Arc<DropRecycler>,
}

impl CpuDevice {
    /// The adapter description of the CPU backend, listed at `index`.
    pub fn description(index: usize) -> AdapterDescription {
        AdapterDescription {
            index,
            name: "Tessera CPU reference".into(),
            backend: "cpu".into(),
            device_type: AdapterType::Reference,
            driver: "tessera".into(),
            driver_info: format!("reference ops, {}", env!("CARGO_PKG_VERSION")),
            vendor: 0,
            limits: DeviceLimits {
                max_buffer_size: CPU_MAX_BUFFER,
                max_storage_buffer_binding_size: CPU_MAX_BUFFER,
                max_storage_buffers_per_shader_stage: 16,
                max_compute_workgroup_storage_size: 32768,
                max_compute_invocations_per_workgroup: 1024,
                max_compute_workgroup_size_x: 1024,
                max_compute_workgroups_per_dimension: 65535,
                min_uniform_buffer_offset_alignment: 256,
                min_storage_buffer_offset_alignment: 256,
            },
            features: DeviceFeatures {
                execution: Execution::HostOps,
                host_memory: true,
                shader_f16: true,
                subgroups: false,
                subgroup_min_size: 0,
                timestamps: false,
            },
        }
    }

    /// Open the CPU backend, described as adapter `index` of the listing.
    pub fn new(index: usize) -> CpuDevice {
        CpuDevice::with_options(index, &DeviceOptions::default())
    }

    /// [`CpuDevice::new`] with `options` applied to its limits.
    pub fn with_options(index: usize, options: &DeviceOptions) -> CpuDevice {
        let mut description = CpuDevice::description(index);
        description.limits = options.apply(description.limits);
        CpuDevice {
            id: NEXT_CPU_ID.fetch_add(1, Ordering::Relaxed),
            description,
            stats: Mutex::new(DeviceStats::default()),
            recycler: Arc::new(DropRecycler::default()),
        }
    }

    fn no_programs(&self, what: &str) -> DeviceError {
        DeviceError::Unsupported {
            what: format!("{what} (the CPU backend runs ops directly, not WGSL programs)"),
            adapter: self.description.name.clone(),
        }
    }

    fn count(&self, f: impl FnOnce(&mut DeviceStats)) {
        f(&mut self.stats.lock().unwrap_or_else(|p| p.into_inner()));
    }
}

impl Device for CpuDevice {
    fn adapter(&self) -> &AdapterDescription {
        &self.description
    }

    fn id(&self) -> u64 {
        self.id
    }

    fn alloc(&self, size: u64) -> Result<Buffer> {
        let buffer = alloc_host(self.id, size, CPU_MAX_BUFFER, &self.recycler)?;
        self.count(|s| s.buffers_created += 1);
        Ok(buffer)
    }

    fn write(&self, buffer: &Buffer, offset: u64, data: &[u8]) -> Result<()> {
        write_host(self.id, buffer, offset, data)
    }

    fn read(&self, buffer: &Buffer, offset: u64, size: u64) -> Result<Vec<u8>> {
        let bytes = read_host(self.id, buffer, offset, size)?;
        self.count(|s| s.bytes_read += size);
        Ok(bytes)
    }

    fn compile(&self, program: Program<'_>) -> Result<Pipeline> {
        let what = format!("compiling {} program {}", program.format(), program.key());
        Err(self.no_programs(&what))
    }

    fn dispatch(
        &self,
        pipeline: &Pipeline,
        _buffers: &[&Buffer],
        _params: &[u8],
        _workgroups: [u32; 3],
    ) -> Result<()> {
        Err(self.no_programs(&format!("dispatching kernel {}", pipeline.key())))
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn synchronize(&self) -> Result<()> {
        Ok(())
    }

    fn timer_begin(&self) -> Result<Option<TimerToken>> {
        Ok(None)
    }

    fn timer_end(&self, _token: TimerToken) -> Result<Duration> {
        Err(DeviceError::InvalidCall(
            "the CPU backend has no timestamps".into(),
        ))
    }

    fn stats(&self) -> DeviceStats {
        let mut stats = *self.stats.lock().unwrap_or_else(|p| p.into_inner());
        (stats.device_bytes, stats.peak_device_bytes) = self.recycler.bytes();
        stats
    }

    fn trim_pool(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_round_trips_and_programs_are_refused() {
        let device = CpuDevice::new(3);
        assert_eq!(device.adapter().index, 3);
        let buffer = device.alloc(16).unwrap();
        device.write(&buffer, 4, &[1, 2, 3, 4]).unwrap();
        assert_eq!(device.read(&buffer, 4, 4).unwrap(), vec![1, 2, 3, 4]);
        assert!(device.read(&buffer, 14, 4).is_err());
        assert!(matches!(
            device.alloc(CPU_MAX_BUFFER + 1),
            Err(DeviceError::TooLarge { .. })
        ));
        let other = CpuDevice::new(3);
        assert_eq!(other.read(&buffer, 0, 4), Err(DeviceError::ForeignResource));
    }
}
