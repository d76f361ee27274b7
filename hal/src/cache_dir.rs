//! Where Tessera keeps its on-disk caches (tuning choices, pipeline caches):
//! `TESSERA_CACHE_DIR`, else `$XDG_CACHE_HOME/tessera`, else `$HOME/.cache/tessera`.
//! `TESSERA_CACHE_DIR=off` (or an unset home) keeps everything in memory.

use std::path::PathBuf;

/// The cache folder, or `None` when on-disk caching is off or no home is known.
/// The folder may not exist yet; writers create it.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("TESSERA_CACHE_DIR") {
        if dir.is_empty() || dir == "off" {
            return None;
        }
        return Some(PathBuf::from(dir));
    }
    if let Some(xdg) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(xdg).join("tessera"));
    }
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(|home| PathBuf::from(home).join(".cache").join("tessera"))
}

/// Write `bytes` to `path` atomically (a temporary file renamed over it), creating
/// the folder. Errors are returned for the caller to log; a cache write never
/// fails an operation.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv1a(mut h: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        h ^= byte as u64;
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// A stable 64-bit FNV-1a hash of strings (each followed by a separator byte),
/// for cache file names.
pub fn stable_hash(parts: &[&str]) -> u64 {
    parts.iter().fold(FNV_OFFSET, |h, part| {
        fnv1a(fnv1a(h, part.as_bytes()), &[0xff])
    })
}

/// A stable 64-bit FNV-1a hash of bytes, for checking cache payloads.
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    fnv1a(FNV_OFFSET, bytes)
}
