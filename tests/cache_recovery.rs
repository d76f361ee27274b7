//! Caches never brick the tool: a pipeline cache file made for another device
//! (our header and checksum valid, wgpu's header valid, another device id) is
//! discarded with one line on stderr, the command succeeds, and the file is
//! written again for this device.

mod common;

use common::{write_tiny_bert, TINY_BERT_CONFIG};
use std::path::{Path, PathBuf};
use std::process::Output;

/// Our file header: magic, payload length, FNV-1a of the payload
/// (`hal/src/wgpu_backend/pipeline_cache.rs`).
const OUR_MAGIC: &[u8; 8] = b"TSRPLC01";
const OUR_HEADER: usize = 24;
/// wgpu-core's header: magic (8), header version (4), pointer width (4),
/// backend (1), then the 15-byte adapter key (vendor and device id on Vulkan).
const WGPU_MAGIC: &[u8; 8] = b"WGPUPLCH";
const ADAPTER_KEY: std::ops::Range<usize> = 17..32;

fn embed(cache: &Path, model: &Path) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["embed", "--adapter", "vulkan", "--model"])
        .arg(model)
        .arg("a cache for another device")
        .env("TESSERA_CACHE_DIR", cache)
        .env("TESSERA_TUNE", "off")
        .output()
        .expect("run tessera")
}

fn pipeline_cache_file(cache: &Path) -> Option<PathBuf> {
    std::fs::read_dir(cache).ok()?.find_map(|e| {
        let path = e.ok()?.path();
        let name = path.file_name()?.to_str()?.to_string();
        (name.starts_with("pipelines-") && name.ends_with(".bin")).then_some(path)
    })
}

fn wrap(payload: &[u8]) -> Vec<u8> {
    let mut out = OUR_MAGIC.to_vec();
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&tessera_hal::cache_dir::hash_bytes(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

#[test]
fn a_pipeline_cache_of_another_device_is_discarded_and_rewritten() {
    let root = std::env::temp_dir().join(format!("tessera-cache-recovery-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let model = write_tiny_bert(&root.join("model"), TINY_BERT_CONFIG);
    let cache = root.join("cache");
    let first = embed(&cache, &model);
    let stderr = String::from_utf8_lossy(&first.stderr);
    if !first.status.success() && stderr.contains("no adapter matches") {
        eprintln!("skipped: no Vulkan adapter ({stderr})");
        return;
    }
    assert!(first.status.success(), "{stderr}");
    let Some(file) = pipeline_cache_file(&cache) else {
        eprintln!("skipped: the Vulkan adapter has no pipeline cache");
        return;
    };

    // Another device's cache: wgpu's adapter key changed, every header valid.
    let good = std::fs::read(&file).unwrap();
    assert_eq!(&good[..8], OUR_MAGIC);
    let mut payload = good[OUR_HEADER..].to_vec();
    assert_eq!(&payload[..8], WGPU_MAGIC, "wgpu's cache header moved");
    for b in &mut payload[ADAPTER_KEY] {
        *b ^= 0x5a;
    }
    std::fs::write(&file, wrap(&payload)).unwrap();

    let second = embed(&cache, &model);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "{stderr}");
    assert_eq!(second.stdout, first.stdout, "same embedding after recovery");
    let notes: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("pipeline cache"))
        .collect();
    assert_eq!(notes.len(), 1, "one line per recovery: {stderr}");
    assert!(notes[0].contains("discarded"), "{stderr}");

    // Rewritten for this device: the adapter key is this device's again.
    let rewritten = std::fs::read(&file).expect("the cache is written again");
    assert_eq!(&rewritten[..8], OUR_MAGIC);
    assert_eq!(
        &rewritten[OUR_HEADER..][ADAPTER_KEY],
        &good[OUR_HEADER..][ADAPTER_KEY]
    );

    // And used quietly from then on.
    let third = embed(&cache, &model);
    let stderr = String::from_utf8_lossy(&third.stderr);
    assert!(third.status.success(), "{stderr}");
    assert!(!stderr.contains("pipeline cache"), "{stderr}");
    assert_eq!(third.stdout, first.stdout);
}
