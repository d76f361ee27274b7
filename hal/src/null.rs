//! A device with no GPU: buffers live in host memory and dispatches are only
//! recorded. It keeps the [`Device`] seam honest and lets scheduling code be
//! tested anywhere; it never runs a kernel.

use crate::adapter::{AdapterDescription, AdapterType, DeviceFeatures, DeviceLimits, Execution};
use crate::device::{Buffer, Device, DeviceStats, Pipeline, TimerToken};
use crate::error::{DeviceError, Result};
use crate::host_memory::{alloc_host, memory_of, read_host, write_host, DropRecycler};
use crate::program::Program;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

static NEXT_NULL_ID: AtomicU64 = AtomicU64::new(1 << 32);

/// One dispatch the null device saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedDispatch {
    /// Kernel key.
    pub key: String,
    /// Number of storage buffers bound.
    pub buffers: usize,
    /// Workgroup grid.
    pub workgroups: [u32; 3],
}

/// The recording device.
#[derive(Debug)]
pub struct NullDevice {
    id: u64,
    description: AdapterDescription,
    log: Mutex<Vec<RecordedDispatch>>,
    pipelines: Mutex<HashMap<String, Pipeline>>,
    stats: Mutex<DeviceStats>,
    recycler: Arc<DropRecycler>,
}

impl Default for NullDevice {
    fn default() -> Self {
        Self::new()
    }
}

impl NullDevice {
    /// A null device with generous limits and every feature.
    pub fn new() -> NullDevice {
        NullDevice {
            id: NEXT_NULL_ID.fetch_add(1, Ordering::Relaxed),
            description: AdapterDescription {
                index: 0,
                name: "null (records only)".into(),
                backend: "null".into(),
                device_type: AdapterType::Other,
                driver: "tessera".into(),
                driver_info: String::new(),
                vendor: 0,
                limits: DeviceLimits {
                    max_buffer_size: 1 << 30,
                    max_storage_buffer_binding_size: 1 << 30,
                    max_storage_buffers_per_shader_stage: 8,
                    max_compute_workgroup_storage_size: 16384,
                    max_compute_invocations_per_workgroup: 256,
                    max_compute_workgroup_size_x: 256,
                    max_compute_workgroups_per_dimension: 65535,
                    min_uniform_buffer_offset_alignment: 256,
                    min_storage_buffer_offset_alignment: 256,
                },
                features: DeviceFeatures {
                    execution: Execution::RecordedPrograms,
                    host_memory: false,
                    shader_f16: true,
                    subgroups: false,
                    subgroup_min_size: 0,
                    timestamps: false,
                },
            },
            log: Mutex::new(Vec::new()),
            pipelines: Mutex::new(HashMap::new()),
            stats: Mutex::new(DeviceStats::default()),
            recycler: Arc::new(DropRecycler::default()),
        }
    }

    /// A null device that reports itself as a software (CPU) adapter with
    /// subgroups of 8 lanes, as lavapipe does: for testing the choices the
    /// runtime makes there.
    pub fn software() -> NullDevice {
        let mut device = NullDevice::new();
        device.description.device_type = AdapterType::Cpu;
        device.description.features.host_memory = true;
        device.description.features.subgroups = true;
        device.description.features.subgroup_min_size = 8;
        device.description.name = "null software adapter (records only)".into();
        device
    }

    /// A null device that reports itself as a software adapter behind the
    /// browser's WebGPU (SwiftShader: no subgroups), for testing the choices
    /// the runtime makes there ([`AdapterDescription::is_software_webgpu`]).
    pub fn software_webgpu() -> NullDevice {
        let mut device = NullDevice::software();
        device.description.backend = "webgpu".into();
        device.description.features.subgroups = false;
        device.description.features.subgroup_min_size = 0;
        device.description.name = "null software WebGPU adapter (records only)".into();
        device
    }

    /// The dispatches recorded so far.
    pub fn recorded(&self) -> Vec<RecordedDispatch> {
        self.log.lock().expect("log").clone()
    }
}

impl Device for NullDevice {
    fn adapter(&self) -> &AdapterDescription {
        &self.description
    }

    fn id(&self) -> u64 {
        self.id
    }

    fn alloc(&self, size: u64) -> Result<Buffer> {
        let limit = self.description.limits.max_buffer_size;
        let buffer = alloc_host(self.id, size, limit, &self.recycler)?;
        self.stats.lock().expect("stats").buffers_created += 1;
        Ok(buffer)
    }

    fn write(&self, buffer: &Buffer, offset: u64, data: &[u8]) -> Result<()> {
        write_host(self.id, buffer, offset, data)
    }

    fn read(&self, buffer: &Buffer, offset: u64, size: u64) -> Result<Vec<u8>> {
        let bytes = read_host(self.id, buffer, offset, size)?;
        self.stats.lock().expect("stats").bytes_read += size;
        Ok(bytes)
    }

    fn compile(&self, program: Program<'_>) -> Result<Pipeline> {
        let Program::Wgsl(source) = program;
        let mut cache = self.pipelines.lock().expect("pipelines");
        if let Some(p) = cache.get(&source.key) {
            return Ok(p.clone());
        }
        self.stats.lock().expect("stats").pipelines_compiled += 1;
        let p = Pipeline::from_backend(self.id, source, Box::new(()));
        cache.insert(source.key.clone(), p.clone());
        Ok(p)
    }

    fn dispatch(
        &self,
        pipeline: &Pipeline,
        buffers: &[&Buffer],
        params: &[u8],
        workgroups: [u32; 3],
    ) -> Result<()> {
        if buffers.len() != pipeline.storage_bindings()
            || params.len() != pipeline.params_size() as usize
        {
            return Err(DeviceError::InvalidCall(format!(
                "bad arguments for {}",
                pipeline.key()
            )));
        }
        for b in buffers {
            memory_of(self.id, b)?;
        }
        self.stats.lock().expect("stats").dispatches += 1;
        self.log.lock().expect("log").push(RecordedDispatch {
            key: pipeline.key().to_string(),
            buffers: buffers.len(),
            workgroups,
        });
        Ok(())
    }

    fn flush(&self) -> Result<()> {
        self.stats.lock().expect("stats").submits += 1;
        Ok(())
    }

    fn synchronize(&self) -> Result<()> {
        self.flush()
    }

    fn timer_begin(&self) -> Result<Option<TimerToken>> {
        Ok(None)
    }

    fn timer_end(&self, _token: TimerToken) -> Result<Duration> {
        Err(DeviceError::InvalidCall(
            "the null device has no timestamps".into(),
        ))
    }

    fn stats(&self) -> DeviceStats {
        let mut stats = *self.stats.lock().expect("stats");
        (stats.device_bytes, stats.peak_device_bytes) = self.recycler.bytes();
        stats
    }

    fn trim_pool(&self) {}
}
