//! The object-safe device contract the runtime programs against.

use crate::adapter::AdapterDescription;
use crate::error::Result;
use crate::program::Program;
use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tessera_kernels::KernelSource;

/// Where a dropped buffer's memory goes: back to its device's pool.
pub trait BufferRecycler: Send + Sync {
    /// Take back the backend payload of a buffer whose last handle was dropped.
    fn recycle(&self, capacity: u64, payload: Box<dyn Any + Send + Sync>);
}

struct BufferInner {
    size: u64,
    capacity: u64,
    device_id: u64,
    payload: Option<Box<dyn Any + Send + Sync>>,
    recycler: Weak<dyn BufferRecycler>,
}

impl Drop for BufferInner {
    fn drop(&mut self) {
        if let (Some(payload), Some(recycler)) = (self.payload.take(), self.recycler.upgrade()) {
            recycler.recycle(self.capacity, payload);
        }
    }
}

/// A handle to device memory, or to a window of it ([`Buffer::window`]).
/// Cloning is cheap; when the last clone drops, the memory returns to the
/// device's size-class pool.
///
/// Offsets given to [`Device::write`] and [`Device::read`] are relative to the
/// window, and a dispatch binds exactly the window: a buffer larger than one
/// storage binding is used by binding windows of it, each at an offset that is
/// a multiple of [`crate::DeviceLimits::min_storage_buffer_offset_alignment`].
#[derive(Clone)]
pub struct Buffer {
    inner: Arc<BufferInner>,
    /// Start of the window in the allocation, in bytes.
    offset: u64,
    /// Bytes in the window.
    size: u64,
}

impl Buffer {
    /// Wrap a backend payload. Only device implementations call this.
    pub fn from_backend(
        device_id: u64,
        size: u64,
        capacity: u64,
        payload: Box<dyn Any + Send + Sync>,
        recycler: Weak<dyn BufferRecycler>,
    ) -> Buffer {
        Buffer {
            inner: Arc::new(BufferInner {
                size,
                capacity,
                device_id,
                payload: Some(payload),
                recycler,
            }),
            offset: 0,
            size,
        }
    }

    /// Bytes in this handle: the size requested at allocation, or the
    /// window's length.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Start of this handle's window in the allocation, in bytes (0 for a
    /// whole buffer).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Bytes requested at allocation (the whole buffer, whatever the window).
    pub fn allocation_size(&self) -> u64 {
        self.inner.size
    }

    /// Bytes actually reserved (the size class).
    pub fn capacity(&self) -> u64 {
        self.inner.capacity
    }

    /// The device this buffer belongs to.
    pub fn device_id(&self) -> u64 {
        self.inner.device_id
    }

    /// The backend payload, for the owning device implementation.
    pub fn backend<T: 'static>(&self) -> Option<&T> {
        self.inner
            .payload
            .as_ref()
            .and_then(|p| p.downcast_ref::<T>())
    }

    /// Whether two handles name the same allocation (whatever their windows).
    pub fn same_as(&self, other: &Buffer) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The `size` bytes at `offset` of this handle, as a handle that shares
    /// the allocation. `None` when the range leaves this handle's bytes.
    /// Whether a dispatch may bind it (the offset's alignment, the binding
    /// limit) is the device's check at dispatch.
    pub fn window(&self, offset: u64, size: u64) -> Option<Buffer> {
        let end = offset.checked_add(size)?;
        (end <= self.size).then(|| Buffer {
            inner: self.inner.clone(),
            offset: self.offset + offset,
            size,
        })
    }
}

impl fmt::Debug for Buffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.offset == 0 && self.size == self.inner.size {
            write!(f, "Buffer({} bytes of {})", self.size, self.inner.capacity)
        } else {
            write!(
                f,
                "Buffer({} bytes at {} of {})",
                self.size, self.offset, self.inner.size
            )
        }
    }
}

struct PipelineInner {
    key: String,
    storage_bindings: usize,
    params_size: u32,
    device_id: u64,
    payload: Box<dyn Any + Send + Sync>,
}

/// A compiled kernel, cached by its key.
#[derive(Clone)]
pub struct Pipeline(Arc<PipelineInner>);

impl Pipeline {
    /// Wrap a backend payload. Only device implementations call this.
    pub fn from_backend(
        device_id: u64,
        source: &KernelSource,
        payload: Box<dyn Any + Send + Sync>,
    ) -> Pipeline {
        Pipeline(Arc::new(PipelineInner {
            key: source.key.clone(),
            storage_bindings: source.bindings.len(),
            params_size: source.params_size,
            device_id,
            payload,
        }))
    }

    /// The kernel key this pipeline was compiled from.
    pub fn key(&self) -> &str {
        &self.0.key
    }

    /// Number of storage buffers a dispatch must bind.
    pub fn storage_bindings(&self) -> usize {
        self.0.storage_bindings
    }

    /// Size of the parameter uniform in bytes (0 for none).
    pub fn params_size(&self) -> u32 {
        self.0.params_size
    }

    /// The device this pipeline belongs to.
    pub fn device_id(&self) -> u64 {
        self.0.device_id
    }

    /// The backend payload, for the owning device implementation.
    pub fn backend<T: 'static>(&self) -> Option<&T> {
        self.0.payload.downcast_ref::<T>()
    }
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pipeline({})", self.0.key)
    }
}

/// A GPU timestamp region opened by [`Device::timer_begin`].
#[derive(Debug, PartialEq, Eq)]
pub struct TimerToken {
    /// Query slot of the start timestamp; the end is `slot + 1`.
    pub slot: u32,
}

/// Counters of what a device has done, for tests and dispatch-overhead reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeviceStats {
    /// Dispatches recorded.
    pub dispatches: u64,
    /// Command buffers submitted.
    pub submits: u64,
    /// Buffers created from scratch.
    pub buffers_created: u64,
    /// Allocations served from the pool.
    pub pool_hits: u64,
    /// Pipelines compiled (cache misses).
    pub pipelines_compiled: u64,
    /// Bytes read back to the host.
    pub bytes_read: u64,
    /// Bind groups created (the rest of the dispatches reused a cached one).
    pub bind_groups_created: u64,
    /// Bytes of device buffers held now: in use plus pooled (free) ones.
    pub device_bytes: u64,
    /// Most bytes of device buffers held at once since the device was opened.
    pub peak_device_bytes: u64,
}

/// A read-back in flight ([`Device::read_async`]): the bytes, once the device
/// has run every dispatch recorded before the read.
pub type ReadFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>>> + 'a>>;

/// The device contract: small, object-safe, no wgpu types. The runtime holds an
/// `Arc<dyn Device>`.
///
/// Ordering: dispatches run in the order recorded; a write from the host is
/// ordered after every dispatch recorded before it, and a read sees every
/// dispatch recorded before it. Recorded work is submitted in batches: when the
/// batch is large, at [`Device::flush`], and before any read.
pub trait Device: Send + Sync + fmt::Debug {
    /// The adapter this device runs on.
    fn adapter(&self) -> &AdapterDescription;

    /// Unique id of this device (buffers and pipelines carry it).
    fn id(&self) -> u64;

    /// Allocate `size` bytes of storage (contents undefined; may come from the pool).
    fn alloc(&self, size: u64) -> Result<Buffer>;

    /// Copy `data` into `buffer` at byte `offset` (multiple of 4).
    fn write(&self, buffer: &Buffer, offset: u64, data: &[u8]) -> Result<()>;

    /// Read `size` bytes at byte `offset`; waits for all recorded work first.
    /// Blocks the calling thread: on the web, where nothing may block, a
    /// device that must wait for the GPU answers
    /// [`crate::DeviceError::Unsupported`]; use [`Device::read_async`].
    fn read(&self, buffer: &Buffer, offset: u64, size: u64) -> Result<Vec<u8>>;

    /// [`Device::read`] as a future: the one read-back that works everywhere.
    /// A device whose reads never wait (host memory) answers at once; the wgpu
    /// device implements its blocking `read` as this future driven to the end.
    fn read_async<'a>(&'a self, buffer: &'a Buffer, offset: u64, size: u64) -> ReadFuture<'a> {
        Box::pin(std::future::ready(self.read(buffer, offset, size)))
    }

    /// Compile a program lowered for this device's backend into a pipeline,
    /// cached by its key. A program in a format the device does not run is
    /// [`crate::DeviceError::Unsupported`].
    fn compile(&self, program: Program<'_>) -> Result<Pipeline>;

    /// Record one dispatch: storage `buffers` in binding order, `params` for the
    /// uniform (exactly `pipeline.params_size()` bytes), and the workgroup grid.
    fn dispatch(
        &self,
        pipeline: &Pipeline,
        buffers: &[&Buffer],
        params: &[u8],
        workgroups: [u32; 3],
    ) -> Result<()>;

    /// Submit everything recorded so far without waiting.
    fn flush(&self) -> Result<()>;

    /// Submit and wait until the device is idle.
    fn synchronize(&self) -> Result<()>;

    /// Open a GPU-timestamp region; `None` when the device has no timestamps
    /// (then time with [`Device::synchronize`] and a wall clock).
    fn timer_begin(&self) -> Result<Option<TimerToken>>;

    /// Close a region, wait for it, and return the GPU time between its ends.
    fn timer_end(&self, token: TimerToken) -> Result<Duration>;

    /// Counters since the device was opened.
    fn stats(&self) -> DeviceStats;

    /// Drop every pooled (free) buffer.
    fn trim_pool(&self);

    /// Whether the device is lost (out of memory, driver reset): every later
    /// call fails with [`crate::DeviceError::Lost`]. Recover with
    /// [`crate::reopen_device`] and by reloading what lived on it.
    fn is_lost(&self) -> bool {
        false
    }
}
