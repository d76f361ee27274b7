//! The persisted pipeline cache: written after compiling, reused by the next
//! device, and a damaged file is ignored and rewritten, never an error. One test
//! function: it sets `TESSERA_CACHE_DIR` for this process.

use std::path::Path;
use tessera_hal::open_default_device;
use tessera_kernels::{BindingKind, KernelSource};

fn kernel(tag: u32) -> KernelSource {
    KernelSource {
        key: format!("test/cache/{tag}"),
        wgsl: format!(
            "@group(0) @binding(0) var<storage, read_write> y: array<u32>;
@compute @workgroup_size(1)
fn main() {{ y[0] = {tag}u; }}"
        ),
        entry: "main",
        bindings: vec![BindingKind::ReadWrite],
        params_size: 0,
        overrides: Vec::new(),
        workgroup: [1, 1, 1],
        needs_f16: false,
        unchecked_ok: false,
    }
}

/// Compile and run `kernel(tag)` on a fresh device; check its output.
fn run_once(tag: u32) {
    let dev = open_default_device().expect("a default adapter");
    let buf = dev.alloc(4).unwrap();
    let pipeline = dev.compile((&kernel(tag)).into()).unwrap();
    dev.dispatch(&pipeline, &[&buf], &[], [1, 1, 1]).unwrap();
    let out = dev.read(&buf, 0, 4).unwrap();
    assert_eq!(u32::from_le_bytes(out.try_into().unwrap()), tag);
    dev.synchronize().unwrap();
}

fn cache_files(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("pipelines-") && n.ends_with(".bin"))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn pipeline_cache_persists_and_survives_damage() {
    let dir = std::env::temp_dir().join(format!("tessera-pcache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::env::set_var("TESSERA_CACHE_DIR", &dir);
    let dev = open_default_device().expect("a default adapter");
    let has_cache = dev.adapter().backend == "vulkan";
    drop(dev);
    run_once(1);
    let files = cache_files(&dir);
    if !has_cache {
        eprintln!("skipped: the default adapter has no pipeline cache (not Vulkan)");
        return;
    }
    assert_eq!(files.len(), 1, "one cache file in {}", dir.display());
    let file = &files[0];
    let good = std::fs::read(file).unwrap();
    assert!(good.len() > 24, "the file holds data");
    // The next process (device) starts from the file.
    run_once(2);
    let mut damaged = good.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x5a;
    let truncated = good[..good.len() / 2].to_vec();
    for (i, junk) in [damaged, truncated, b"junk".to_vec(), Vec::new()]
        .into_iter()
        .enumerate()
    {
        std::fs::write(file, &junk).unwrap();
        run_once(10 + i as u32);
        let rewritten = std::fs::read(file).unwrap();
        assert_ne!(rewritten, junk, "case {i}: the damaged file is rewritten");
        assert!(rewritten.starts_with(b"TSRPLC01"), "case {i}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
