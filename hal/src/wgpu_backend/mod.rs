//! The wgpu implementation of [`Device`].

mod batch;
mod compile;
mod describe;
mod open;
#[cfg(not(target_arch = "wasm32"))]
mod pipeline_cache;
#[cfg(target_arch = "wasm32")]
#[path = "pipeline_cache_web.rs"]
mod pipeline_cache;
mod scope;
mod submit;
#[cfg(target_arch = "wasm32")]
mod web_info;

pub use describe::{create_instance, enumerate_async};

use crate::adapter::AdapterDescription;
use crate::device::{
    Buffer, BufferRecycler, Device, DeviceStats, Pipeline, ReadFuture, TimerToken,
};
use crate::error::{DeviceError, Result};
use crate::pool::{size_class, SizeClassPool};
use crate::program::Program;
use batch::{Batch, BindGroupCache, Command};
use pipeline_cache::PersistentPipelineCache;
use scope::Scopes;
use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

/// Dispatches per batch before an automatic submit.
const MAX_BATCH_DISPATCHES: usize = 512;
/// Bytes allocated during a batch before an automatic submit (see [`Batch::allocated`]).
const MAX_BATCH_ALLOCATED: u64 = 128 << 20;
/// Timestamp slots in the query set (two per timed region).
const TIMESTAMP_SLOTS: u32 = 64;
/// Free bytes the buffer pool holds by default (see [`crate::pool::POOL_BYTES_ENV`]).
const POOL_MAX_BYTES: u64 = 32 << 20;

static NEXT_DEVICE_ID: AtomicU64 = AtomicU64::new(1);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Shared {
    id: u64,
    description: AdapterDescription,
    device: wgpu::Device,
    queue: wgpu::Queue,
    pool: Mutex<SizeClassPool<wgpu::Buffer>>,
    pipelines: Mutex<HashMap<String, Pipeline>>,
    batch: Mutex<Batch>,
    uniform: Mutex<Option<wgpu::Buffer>>,
    /// Bind groups for reuse. Lock order: `uniform`, then this; never held
    /// while taking `pool`.
    bind_groups: Mutex<BindGroupCache>,
    stats: Mutex<DeviceStats>,
    lost: Arc<Mutex<Option<String>>>,
    uncaptured: Arc<Mutex<Vec<String>>>,
    query_set: Option<wgpu::QuerySet>,
    next_timer: Mutex<u32>,
    pipeline_cache: Option<PersistentPipelineCache>,
    /// On GL, every call into wgpu from this device is serialized here: wgpu's
    /// GL backend holds one context lock while it waits for the GPU and panics
    /// when another thread waits for that lock over 6 s, which a long dispatch
    /// on a software GL adapter reaches. Re-entrant: our calls nest.
    serial: Option<parking_lot::ReentrantMutex<()>>,
    /// The instance the adapter came from, held for the device's life: on the
    /// web, dropping it loses the device ("A valid external Instance reference
    /// no longer exists"). Last, so it drops after everything made from it.
    _instance: wgpu::Instance,
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(cache) = &self.pipeline_cache {
            cache.save_if_dirty();
        }
    }
}

impl BufferRecycler for Shared {
    fn recycle(&self, capacity: u64, payload: Box<dyn Any + Send + Sync>) {
        if let Ok(buffer) = payload.downcast::<wgpu::Buffer>() {
            // A lost device keeps nothing: its memory goes back at once.
            if lock(&self.lost).is_some() {
                lock(&self.stats).device_bytes -= capacity;
                return;
            }
            let released = lock(&self.pool).put(capacity, *buffer);
            if !released.is_empty() {
                let bytes: u64 = released.iter().map(wgpu::Buffer::size).sum();
                drop(released);
                lock(&self.stats).device_bytes -= bytes;
                // Cached bind groups may still hold the buffer: let them go so
                // its memory goes with it.
                lock(&self.bind_groups).clear();
            }
        }
    }
}

/// A device on a wgpu adapter.
pub struct WgpuDevice {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for WgpuDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WgpuDevice({})", self.shared.description.summary())
    }
}

impl WgpuDevice {
    /// Hold the GL serialization lock (no-op on other backends) for a call.
    fn serial(&self) -> Option<parking_lot::ReentrantMutexGuard<'_, ()>> {
        self.shared.serial.as_ref().map(|m| m.lock())
    }

    /// Fail fast when the device was lost or an earlier error escaped the scopes.
    fn check_health(&self) -> Result<()> {
        let lost = lock(&self.shared.lost).clone();
        if let Some(reason) = lost {
            self.trim_pool();
            return Err(DeviceError::Lost(reason));
        }
        let mut errors = lock(&self.shared.uncaptured);
        if !errors.is_empty() {
            let message = errors.join("; ");
            errors.clear();
            return Err(DeviceError::Uncaptured(message));
        }
        Ok(())
    }

    /// Whether a dispatch may bind `buffer`: at most the binding limit, at an
    /// aligned offset.
    fn check_binding(&self, buffer: &Buffer) -> Result<()> {
        let limits = &self.shared.description.limits;
        let size = batch::binding_size(buffer);
        if size > limits.max_storage_buffer_binding_size {
            return Err(DeviceError::TooLarge {
                requested: size,
                limit: limits.max_storage_buffer_binding_size,
                what: "max_storage_buffer_binding_size",
            });
        }
        let align = u64::from(limits.min_storage_buffer_offset_alignment.max(1));
        if !buffer.offset().is_multiple_of(align) {
            return Err(DeviceError::InvalidCall(format!(
                "a storage binding at byte {} is not a multiple of {align}",
                buffer.offset()
            )));
        }
        Ok(())
    }

    fn raw<'a>(&self, buffer: &'a Buffer) -> Result<&'a wgpu::Buffer> {
        if buffer.device_id() != self.shared.id {
            return Err(DeviceError::ForeignResource);
        }
        buffer
            .backend::<wgpu::Buffer>()
            .ok_or(DeviceError::ForeignResource)
    }
}

impl Device for WgpuDevice {
    fn adapter(&self) -> &AdapterDescription {
        &self.shared.description
    }

    fn id(&self) -> u64 {
        self.shared.id
    }

    fn alloc(&self, size: u64) -> Result<Buffer> {
        let _serial = self.serial();
        self.check_health()?;
        let limits = &self.shared.description.limits;
        let capacity = size_class(size);
        let padded = size.max(4).div_ceil(4) * 4;
        if padded > limits.max_buffer_size {
            return Err(DeviceError::TooLarge {
                requested: size,
                limit: limits.max_buffer_size,
                what: "max_buffer_size",
            });
        }
        // The class may round past the limit; padded <= max_buffer_size was checked above.
        let capacity = capacity.min(limits.max_buffer_size);
        let recycler: Weak<dyn BufferRecycler> =
            Arc::downgrade(&self.shared) as Weak<dyn BufferRecycler>;
        lock(&self.shared.batch).allocated += capacity;
        if let Some(buffer) = lock(&self.shared.pool).take(capacity) {
            lock(&self.shared.stats).pool_hits += 1;
            return Ok(Buffer::from_backend(
                self.shared.id,
                size,
                capacity,
                Box::new(buffer),
                recycler,
            ));
        }
        let scopes = Scopes::push(&self.shared.device);
        let buffer = self.shared.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("tessera storage"),
            size: capacity,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        scopes.finish(|| format!("allocating {size} bytes"))?;
        let mut stats = lock(&self.shared.stats);
        stats.buffers_created += 1;
        stats.device_bytes += capacity;
        stats.peak_device_bytes = stats.peak_device_bytes.max(stats.device_bytes);
        drop(stats);
        Ok(Buffer::from_backend(
            self.shared.id,
            size,
            capacity,
            Box::new(buffer),
            recycler,
        ))
    }

    fn write(&self, buffer: &Buffer, offset: u64, data: &[u8]) -> Result<()> {
        let _serial = self.serial();
        self.check_health()?;
        let raw = self.raw(buffer)?;
        if !offset.is_multiple_of(4) {
            return Err(DeviceError::InvalidCall(format!(
                "write offset {offset} is not a multiple of 4"
            )));
        }
        let end = offset.checked_add(data.len() as u64);
        if end.is_none_or(|end| end > buffer.size()) {
            return Err(DeviceError::InvalidCall(format!(
                "write of {} bytes at {offset} overruns a buffer of {} bytes",
                data.len(),
                buffer.size()
            )));
        }
        if data.is_empty() {
            return Ok(());
        }
        // Host writes are ordered after recorded work: submit it first.
        if !lock(&self.shared.batch).is_empty() {
            self.submit(|_| ())?;
        }
        if data.len().is_multiple_of(4) {
            let at = buffer.offset() + offset;
            self.shared.queue.write_buffer(raw, at, data);
        } else {
            let mut padded = data.to_vec();
            padded.resize(data.len().div_ceil(4) * 4, 0);
            let at = buffer.offset() + offset;
            self.shared.queue.write_buffer(raw, at, &padded);
        }
        Ok(())
    }

    fn read(&self, buffer: &Buffer, offset: u64, size: u64) -> Result<Vec<u8>> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            pollster::block_on(self.read_async(buffer, offset, size))
        }
        #[cfg(target_arch = "wasm32")]
        {
            let _ = (buffer, offset, size);
            Err(self.no_blocking_on_the_web())
        }
    }

    fn read_async<'a>(&'a self, buffer: &'a Buffer, offset: u64, size: u64) -> ReadFuture<'a> {
        Box::pin(async move {
            let _serial = self.serial();
            self.check_health()?;
            let raw = self.raw(buffer)?;
            let end = offset.checked_add(size);
            if end.is_none_or(|end| end > buffer.size()) {
                return Err(DeviceError::InvalidCall(format!(
                    "read of {size} bytes at {offset} overruns a buffer of {} bytes",
                    buffer.size()
                )));
            }
            if size == 0 {
                return Ok(Vec::new());
            }
            let offset = buffer.offset() + offset;
            let start = offset / 4 * 4;
            let stop = (offset + size).div_ceil(4) * 4;
            let bytes = self.read_raw_async(raw, start, stop - start).await?;
            lock(&self.shared.stats).bytes_read += size;
            let skip = (offset - start) as usize;
            Ok(bytes[skip..skip + size as usize].to_vec())
        })
    }

    fn compile(&self, program: Program<'_>) -> Result<Pipeline> {
        let Program::Wgsl(source) = program;
        let _serial = self.serial();
        self.check_health()?;
        if let Some(p) = lock(&self.shared.pipelines).get(&source.key) {
            return Ok(p.clone());
        }
        if source.needs_f16 && !self.shared.description.features.shader_f16 {
            return Err(DeviceError::Unsupported {
                what: format!("shader-f16 (kernel {})", source.key),
                adapter: self.shared.description.name.clone(),
            });
        }
        let backend = compile::create_pipeline_recovering(
            &self.shared.device,
            source,
            self.shared.pipeline_cache.as_ref(),
        )
        .map_err(|e| DeviceError::Compile {
            key: source.key.clone(),
            message: e.to_string(),
        })?;
        let compiled = Pipeline::from_backend(self.shared.id, source, Box::new(backend));
        lock(&self.shared.stats).pipelines_compiled += 1;
        lock(&self.shared.pipelines).insert(source.key.clone(), compiled.clone());
        Ok(compiled)
    }

    fn dispatch(
        &self,
        pipeline: &Pipeline,
        buffers: &[&Buffer],
        params: &[u8],
        workgroups: [u32; 3],
    ) -> Result<()> {
        let _serial = self.serial();
        self.check_health()?;
        if pipeline.device_id() != self.shared.id {
            return Err(DeviceError::ForeignResource);
        }
        if buffers.len() != pipeline.storage_bindings() {
            return Err(DeviceError::InvalidCall(format!(
                "{} takes {} buffers, got {}",
                pipeline.key(),
                pipeline.storage_bindings(),
                buffers.len()
            )));
        }
        if params.len() != pipeline.params_size() as usize {
            return Err(DeviceError::InvalidCall(format!(
                "{} takes {} parameter bytes, got {}",
                pipeline.key(),
                pipeline.params_size(),
                params.len()
            )));
        }
        let limit = self
            .shared
            .description
            .limits
            .max_compute_workgroups_per_dimension;
        if workgroups.iter().any(|&w| w > limit) {
            return Err(DeviceError::InvalidCall(format!(
                "{}: grid {workgroups:?} exceeds {limit} workgroups per dimension",
                pipeline.key()
            )));
        }
        for b in buffers {
            self.raw(b)?;
            self.check_binding(b)?;
        }
        if workgroups.contains(&0) {
            return Ok(());
        }
        let full = {
            let mut batch = lock(&self.shared.batch);
            let align = self
                .shared
                .description
                .limits
                .min_uniform_buffer_offset_alignment
                .max(16) as u64;
            let params_offset = if params.is_empty() {
                0
            } else {
                batch.push_params(params, align)
            };
            batch.commands.push(Command::Dispatch {
                pipeline: pipeline.clone(),
                buffers: buffers.iter().map(|b| (*b).clone()).collect(),
                params_offset,
                workgroups,
            });
            batch.dispatches += 1;
            batch.dispatches >= MAX_BATCH_DISPATCHES || batch.allocated >= MAX_BATCH_ALLOCATED
        };
        lock(&self.shared.stats).dispatches += 1;
        if full {
            self.submit(|_| ())?;
        }
        Ok(())
    }

    fn flush(&self) -> Result<()> {
        let _serial = self.serial();
        self.check_health()?;
        if lock(&self.shared.batch).is_empty() {
            return Ok(());
        }
        self.submit(|_| ())
    }

    fn synchronize(&self) -> Result<()> {
        let _serial = self.serial();
        self.flush()?;
        self.wait_idle()?;
        if let Some(cache) = &self.shared.pipeline_cache {
            cache.save_if_dirty();
        }
        self.check_health()
    }

    fn timer_begin(&self) -> Result<Option<TimerToken>> {
        let _serial = self.serial();
        self.check_health()?;
        // The web cannot wait for a timer's read-back: time with a clock there.
        if self.shared.query_set.is_none() || cfg!(target_arch = "wasm32") {
            return Ok(None);
        }
        let slot = {
            let mut next = lock(&self.shared.next_timer);
            let slot = *next;
            *next = (slot + 2) % TIMESTAMP_SLOTS;
            slot
        };
        lock(&self.shared.batch)
            .commands
            .push(Command::TimerBegin(slot));
        Ok(Some(TimerToken { slot }))
    }

    fn timer_end(&self, token: TimerToken) -> Result<Duration> {
        let _serial = self.serial();
        self.check_health()?;
        let Some(query_set) = self.shared.query_set.as_ref() else {
            return Err(DeviceError::InvalidCall(
                "timer_end without timestamp support".into(),
            ));
        };
        let slot = token.slot;
        lock(&self.shared.batch)
            .commands
            .push(Command::TimerEnd(slot + 1));
        let resolve = self.shared.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("tessera timestamps"),
            size: 16,
            usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        self.submit(|encoder| encoder.resolve_query_set(query_set, slot..slot + 2, &resolve, 0))?;
        let bytes = self.read_raw(&resolve, 0, 16)?;
        let start = u64::from_le_bytes(bytes[0..8].try_into().expect("8 bytes"));
        let end = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
        let period = self.shared.queue.get_timestamp_period() as f64;
        Ok(Duration::from_nanos(
            (end.saturating_sub(start) as f64 * period) as u64,
        ))
    }

    fn stats(&self) -> DeviceStats {
        *lock(&self.shared.stats)
    }

    fn trim_pool(&self) {
        let freed = {
            let mut pool = lock(&self.shared.pool);
            let freed = pool.pooled_bytes();
            pool.clear();
            freed
        };
        lock(&self.shared.stats).device_bytes -= freed;
        lock(&self.shared.bind_groups).clear();
    }

    fn is_lost(&self) -> bool {
        lock(&self.shared.lost).is_some()
    }
}
