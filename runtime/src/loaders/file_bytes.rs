//! The bytes of a model file: a read-only memory map on native, a buffer
//! where there is no memory map (the web, where files arrive as bytes through
//! the loaders' `from_bytes`), and for files too short to map.

use std::path::Path;

/// A whole file's bytes.
#[derive(Debug)]
pub(crate) enum FileBytes {
    /// A read-only memory map (native).
    #[cfg(not(target_arch = "wasm32"))]
    Map(memmap2::Mmap),
    /// A buffer.
    Owned(Vec<u8>),
}

impl FileBytes {
    /// Map `path` read-only (a buffer when it is shorter than `min_map` bytes).
    /// As with any memory map, a file truncated by another process while open
    /// can fault on access; a file changed underneath gives wrong values, never
    /// unsound reads (we only read bytes).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn open(path: &Path, min_map: u64) -> std::io::Result<FileBytes> {
        let file = std::fs::File::open(path)?;
        if file.metadata()?.len() < min_map.max(1) {
            return std::fs::read(path).map(FileBytes::Owned);
        }
        // SAFETY: the map is read-only; see above.
        unsafe { memmap2::Mmap::map(&file) }.map(FileBytes::Map)
    }

    /// The web has no file system: a clear error that names the way in.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn open(path: &Path, _min_map: u64) -> std::io::Result<FileBytes> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            format!(
                "no files on the web ({}): fetch the bytes and use from_bytes",
                path.display()
            ),
        ))
    }
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            #[cfg(not(target_arch = "wasm32"))]
            FileBytes::Map(map) => map,
            FileBytes::Owned(bytes) => bytes,
        }
    }
}
