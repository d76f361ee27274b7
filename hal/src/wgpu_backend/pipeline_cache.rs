//! wgpu's pipeline cache (Vulkan) persisted across processes, so a second
//! process skips the driver's shader compilation.
//!
//! The file `<cache dir>/pipelines-<adapter key>.bin` holds our header (magic,
//! format, payload length, FNV-1a hash of the payload) and then the bytes of
//! `wgpu::PipelineCache::get_data`. wgpu checks its own header but not the data,
//! and a driver handed damaged data may misbehave, so a file whose length or hash
//! does not match is ignored (an empty cache is used) and rewritten on the next
//! save. Saving is best effort: failures are logged, never returned.
//!
//! A cache never bricks the device: when wgpu refuses the data (made for
//! another device or driver: a validation error, not covered by its own
//! fallback) or a pipeline fails through the cache but compiles without it,
//! the cache is discarded (the file removed), an empty one takes its place and
//! is written again on the next save. Each recovery is one `warn` line.

use crate::cache_dir::{cache_dir, hash_bytes, write_atomically};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

const MAGIC: &[u8; 8] = b"TSRPLC01";
const HEADER_LEN: usize = 8 + 8 + 8;

/// A pipeline cache and where it is saved.
pub struct PersistentPipelineCache {
    cache: Mutex<wgpu::PipelineCache>,
    path: Option<PathBuf>,
    dirty: AtomicBool,
}

impl PersistentPipelineCache {
    /// Open the cache of `device` on an adapter keyed `adapter_key`, seeded from
    /// disk when a valid file exists; `None` when the device lacks the feature.
    pub fn open(device: &wgpu::Device, adapter_key: &str) -> Option<PersistentPipelineCache> {
        if !device.features().contains(wgpu::Features::PIPELINE_CACHE) {
            return None;
        }
        let path = cache_dir().map(|d| d.join(format!("pipelines-{adapter_key}.bin")));
        let data = path.as_deref().and_then(read_payload);
        let seeded = data.as_deref().and_then(|data| {
            // SAFETY: `data` came from `PipelineCache::get_data` of an adapter
            // with the same key (adapter, driver and crate version are in the
            // file name) and its length and hash match what was written;
            // `fallback: true` makes wgpu start empty when the driver rejects
            // it, and a refusal wgpu reports as an error is caught here.
            let created = catch_errors(device, || unsafe {
                device.create_pipeline_cache(&wgpu::PipelineCacheDescriptor {
                    label: Some("tessera pipeline cache"),
                    data: Some(data),
                    fallback: true,
                })
            });
            match created {
                Ok(cache) => Some(cache),
                Err(reason) => {
                    discard_file(path.as_deref(), &reason);
                    None
                }
            }
        });
        let dirty = seeded.is_none() && data.is_some();
        let cache = seeded.unwrap_or_else(|| empty_cache(device));
        Some(PersistentPipelineCache {
            cache: Mutex::new(cache),
            path,
            dirty: AtomicBool::new(dirty),
        })
    }

    /// The wgpu cache, for pipeline creation.
    pub fn cache(&self) -> wgpu::PipelineCache {
        lock(&self.cache).clone()
    }

    /// Replace the cache with an empty one and remove its file, because a
    /// pipeline failed through it (`reason`) and compiled without it; the new
    /// cache is written on the next save.
    pub fn discard(&self, device: &wgpu::Device, reason: &str) {
        discard_file(self.path.as_deref(), reason);
        *lock(&self.cache) = empty_cache(device);
        self.dirty.store(true, Ordering::Relaxed);
    }

    /// Note that a pipeline was created through the cache.
    pub fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::Relaxed);
    }

    /// Write the cache to disk when pipelines were added since the last save.
    pub fn save_if_dirty(&self) {
        if !self.dirty.swap(false, Ordering::Relaxed) {
            return;
        }
        let (Some(path), Some(data)) = (&self.path, self.cache().get_data()) else {
            return;
        };
        if let Err(e) = write_atomically(path, &wrap(&data)) {
            tracing::warn!("pipeline cache {} not written: {e}", path.display());
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn empty_cache(device: &wgpu::Device) -> wgpu::PipelineCache {
    // SAFETY: no data is given, so there is nothing for the driver to trust.
    unsafe {
        device.create_pipeline_cache(&wgpu::PipelineCacheDescriptor {
            label: Some("tessera pipeline cache"),
            data: None,
            fallback: true,
        })
    }
}

/// Run `f` inside validation, internal and out-of-memory error scopes; the
/// first error caught is returned as text.
fn catch_errors<R>(device: &wgpu::Device, f: impl FnOnce() -> R) -> Result<R, String> {
    let scopes = [
        device.push_error_scope(wgpu::ErrorFilter::OutOfMemory),
        device.push_error_scope(wgpu::ErrorFilter::Internal),
        device.push_error_scope(wgpu::ErrorFilter::Validation),
    ];
    let value = f();
    let mut first = None;
    for scope in scopes.into_iter().rev() {
        if let Some(e) = pollster::block_on(scope.pop()) {
            first.get_or_insert_with(|| super::scope::describe(&e));
        }
    }
    first.map_or(Ok(value), Err)
}

/// Remove a cache file the driver refused (`reason`), saying so once.
fn discard_file(path: Option<&Path>, reason: &str) {
    let name = path.map_or_else(|| "(in memory)".into(), |p| p.display().to_string());
    tracing::warn!(
        "pipeline cache {name} discarded and rebuilt: {}",
        one_line(reason)
    );
    if let Some(path) = path {
        let _ = std::fs::remove_file(path);
    }
}

/// wgpu's multi-line error text (the error, "Caused by:", each cause) as one line.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "Caused by:")
        .collect::<Vec<_>>()
        .join(": ")
}

/// Our header followed by `payload`.
pub fn wrap(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&payload_hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// The payload of a file written by [`wrap`], if its header, length and hash hold.
pub fn unwrap(bytes: &[u8]) -> Option<&[u8]> {
    let header = bytes.get(..HEADER_LEN)?;
    if &header[..8] != MAGIC {
        return None;
    }
    let len = u64::from_le_bytes(header[8..16].try_into().ok()?);
    let hash = u64::from_le_bytes(header[16..24].try_into().ok()?);
    let payload = &bytes[HEADER_LEN..];
    (payload.len() as u64 == len && payload_hash(payload) == hash).then_some(payload)
}

fn payload_hash(payload: &[u8]) -> u64 {
    hash_bytes(payload)
}

fn read_payload(path: &Path) -> Option<Vec<u8>> {
    let bytes = std::fs::read(path).ok()?;
    match unwrap(&bytes) {
        Some(payload) => Some(payload.to_vec()),
        None => {
            tracing::warn!("pipeline cache {} is damaged; ignored", path.display());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_payloads_round_trip_and_damage_is_detected() {
        let payload: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let file = wrap(&payload);
        assert_eq!(unwrap(&file), Some(&payload[..]));
        assert_eq!(unwrap(&file[..file.len() - 1]), None, "truncated");
        assert_eq!(unwrap(&file[..10]), None, "header cut");
        assert_eq!(unwrap(b""), None);
        let mut flipped = file.clone();
        flipped[HEADER_LEN + 500] ^= 1;
        assert_eq!(unwrap(&flipped), None, "payload bit flip");
        let mut magic = file.clone();
        magic[0] = b'X';
        assert_eq!(unwrap(&magic), None, "bad magic");
        let mut longer = file;
        longer.push(0);
        assert_eq!(unwrap(&longer), None, "trailing byte");
    }

    #[test]
    fn recovery_reasons_fit_on_one_line() {
        let text = "Validation Error\n\nCaused by:\n  In create\n    it failed\n";
        assert_eq!(one_line(text), "Validation Error: In create: it failed");
    }
}
