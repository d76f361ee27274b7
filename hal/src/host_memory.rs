//! Buffers that live in host memory: the storage of the CPU backend and of the
//! recording null device.

use crate::device::{Buffer, BufferRecycler};
use crate::error::{DeviceError, Result};
use crate::pool::size_class;
use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};

/// The bytes of one host-memory buffer. The CPU backend's op executor reads
/// and writes them directly (`buffer.backend::<HostMemory>()`).
#[derive(Debug)]
pub struct HostMemory(RwLock<Vec<u8>>);

impl HostMemory {
    /// Shared access to the bytes.
    pub fn bytes(&self) -> RwLockReadGuard<'_, Vec<u8>> {
        self.0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Exclusive access to the bytes.
    pub fn bytes_mut(&self) -> RwLockWriteGuard<'_, Vec<u8>> {
        self.0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A recycler that lets dropped host buffers go (the allocator is the pool)
/// and counts the bytes held.
#[derive(Debug, Default)]
pub(crate) struct DropRecycler {
    live: AtomicU64,
    peak: AtomicU64,
}

impl DropRecycler {
    /// Bytes held now and the most held at once.
    pub(crate) fn bytes(&self) -> (u64, u64) {
        (
            self.live.load(Ordering::Relaxed),
            self.peak.load(Ordering::Relaxed),
        )
    }

    fn held(&self, capacity: u64) {
        let live = self.live.fetch_add(capacity, Ordering::Relaxed) + capacity;
        self.peak.fetch_max(live, Ordering::Relaxed);
    }
}

impl BufferRecycler for DropRecycler {
    fn recycle(&self, capacity: u64, _payload: Box<dyn Any + Send + Sync>) {
        self.live.fetch_sub(capacity, Ordering::Relaxed);
    }
}

/// Allocate a zeroed host buffer of `size` bytes for device `device_id`, or a
/// `TooLarge` error past `limit`.
pub(crate) fn alloc_host(
    device_id: u64,
    size: u64,
    limit: u64,
    recycler: &Arc<DropRecycler>,
) -> Result<Buffer> {
    if size > limit {
        return Err(DeviceError::TooLarge {
            requested: size,
            limit,
            what: "max_buffer_size",
        });
    }
    let len = usize::try_from(size).map_err(|_| DeviceError::OutOfMemory {
        during: format!("allocating {size} bytes of host memory"),
    })?;
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(len)
        .map_err(|_| DeviceError::OutOfMemory {
            during: format!("allocating {size} bytes of host memory"),
        })?;
    bytes.resize(len, 0);
    let memory: Box<dyn Any + Send + Sync> = Box::new(HostMemory(RwLock::new(bytes)));
    recycler.held(size_class(size));
    let recycler: Weak<dyn BufferRecycler> = Arc::downgrade(recycler) as Weak<dyn BufferRecycler>;
    Ok(Buffer::from_backend(
        device_id,
        size,
        size_class(size),
        memory,
        recycler,
    ))
}

/// The host memory of `buffer`, which must belong to device `device_id`.
pub(crate) fn memory_of(device_id: u64, buffer: &Buffer) -> Result<&HostMemory> {
    if buffer.device_id() != device_id {
        return Err(DeviceError::ForeignResource);
    }
    buffer
        .backend::<HostMemory>()
        .ok_or(DeviceError::ForeignResource)
}

/// Check that `len` bytes at `offset` lie inside `buffer`.
pub(crate) fn check_range(buffer: &Buffer, offset: u64, len: u64) -> Result<()> {
    match offset.checked_add(len) {
        Some(end) if end <= buffer.size() => Ok(()),
        _ => Err(DeviceError::InvalidCall(format!(
            "access of {len} bytes at {offset} overruns a buffer of {} bytes",
            buffer.size()
        ))),
    }
}

/// Copy `data` into `buffer` at `offset` (range-checked).
pub(crate) fn write_host(device_id: u64, buffer: &Buffer, offset: u64, data: &[u8]) -> Result<()> {
    check_range(buffer, offset, data.len() as u64)?;
    let mut bytes = memory_of(device_id, buffer)?.bytes_mut();
    let at = (buffer.offset() + offset) as usize;
    bytes[at..at + data.len()].copy_from_slice(data);
    Ok(())
}

/// Read `size` bytes of `buffer` at `offset` (range-checked).
pub(crate) fn read_host(
    device_id: u64,
    buffer: &Buffer,
    offset: u64,
    size: u64,
) -> Result<Vec<u8>> {
    check_range(buffer, offset, size)?;
    let bytes = memory_of(device_id, buffer)?.bytes();
    let at = buffer.offset() + offset;
    Ok(bytes[at as usize..(at + size) as usize].to_vec())
}
