//! A lost device is survivable: out of memory on lavapipe under an
//! address-space limit loses the device; the embedder and the decoder reopen
//! the adapter, reload their weights and then compute correctly, in the same
//! process. Needs lavapipe (Vulkan) and `prlimit` (util-linux); the embedder
//! part needs the MiniLM folder (scripts/fetch-model.sh).

mod common;

use common::*;
use std::process::Command;
use std::sync::{Arc, Mutex};
use tessera::prelude::{GenerateOptions, TextGenerator};
use tessera_hal::{enumerate_adapters, open_device, AdapterSelector, AdapterType, Device};
use tessera_runtime::models::bert::SentenceEmbedder;
use tessera_runtime::{Error, Tensor};

/// The address-space limit is the process's: one test at a time sets it.
static LIMITED: Mutex<()> = Mutex::new(());

/// Bytes of each tensor allocated until the device runs out.
const CHUNK_BYTES: usize = 128 << 20;
/// Same adapter and kernels before and after recovery: the same results up
/// to the last bits.
const SAME_ADAPTER: Tolerance = Tolerance {
    rtol: 0.0,
    atol: 1e-6,
};
/// The MiniLM embeddings against PyTorch's, as in tests/minilm_reference.rs.
const VS_PYTORCH: Tolerance = Tolerance {
    rtol: 0.0,
    atol: 1e-4,
};
/// Address space granted above what the process uses when the limit is set.
const HEADROOM_BYTES: u64 = 1536 << 20;

/// lavapipe through Vulkan, if this machine has it.
fn lavapipe() -> Option<Arc<dyn Device>> {
    let adapter = enumerate_adapters()
        .into_iter()
        .find(|a| a.backend == "vulkan" && a.device_type == AdapterType::Cpu);
    let Some(adapter) = adapter else {
        eprintln!("SKIPPED: no lavapipe adapter");
        return None;
    };
    Some(open_device(&AdapterSelector::Named(adapter.index.to_string())).expect("open lavapipe"))
}

/// This process's virtual size in bytes (`VmSize` of /proc/self/status).
fn virtual_size() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmSize:"))
        .expect("VmSize");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("VmSize in kB");
    kib * 1024
}

/// Set this process's soft address-space limit (`None`: unlimited).
fn limit_address_space(bytes: Option<u64>) {
    let value = bytes.map_or("unlimited".to_string(), |b| b.to_string());
    let status = Command::new("prlimit")
        .args(["--pid", &std::process::id().to_string()])
        .arg(format!("--as={value}:"))
        .status()
        .expect("running prlimit (util-linux)");
    assert!(status.success(), "prlimit --as={value}: failed");
}

/// Upload 128 MiB tensors of `values` to `device` until it fails; the error
/// met. `values` is allocated before the limit, so the host side never fails.
fn exhaust(device: &Arc<dyn Device>, values: &[f32]) -> Error {
    let mut held = Vec::new();
    for _ in 0..256 {
        match Tensor::from_slice(device, values, &[values.len()]) {
            Ok(t) => held.push(t),
            Err(e) => return e,
        }
    }
    panic!(
        "{} tensors of 128 MiB fit under the address-space limit",
        held.len()
    );
}

#[test]
fn embedder_recovers_from_out_of_memory_and_embeds_correctly() {
    let Some(dir) = model_dir() else { return };
    let Some(device) = lavapipe() else { return };
    let reference = load_reference();
    let texts: Vec<&str> = reference.texts.iter().map(String::as_str).collect();
    let mut model = SentenceEmbedder::load(&dir, &device).expect("load MiniLM");
    let before = model.embed(&texts).expect("embed before the fault");

    let (mut rng, _seed) = seeded_rng("device_recovery");
    let values = random_vec(&mut rng, CHUNK_BYTES / 4, -1.0, 1.0);
    let _one_at_a_time = LIMITED.lock().unwrap_or_else(|p| p.into_inner());
    limit_address_space(Some(virtual_size() + HEADROOM_BYTES));
    let error = exhaust(&device, &values);
    eprintln!("out of memory: {error}");
    assert!(
        matches!(error, Error::Device(_)),
        "a device error, got {error:?}"
    );
    let failed = model.embed(&texts);
    eprintln!(
        "device lost: {}; embedding then: {:?}",
        model.is_device_lost(),
        failed.as_ref().map(Vec::len)
    );
    assert!(
        model.is_device_lost() || failed.is_ok(),
        "the device is not lost, yet embedding fails: {failed:?}"
    );
    if model.is_device_lost() {
        assert!(failed.is_err(), "a lost device embedded");
    }
    drop(device);
    let recovered = model.recover();
    let after = model.embed(&texts);
    limit_address_space(None);
    recovered.expect("recover under the limit");
    let after = after.expect("embed after recovering");
    assert!(!model.is_device_lost());
    for (i, (a, b)) in after.iter().zip(&before).enumerate() {
        assert_close(a, b, SAME_ADAPTER, &format!("item {i} after recovery"));
    }
    for (i, (a, want)) in after.iter().zip(&reference.embeddings).enumerate() {
        assert_close(a, want, VS_PYTORCH, &format!("item {i} vs PyTorch"));
    }
}

#[test]
fn decoder_recovers_from_out_of_memory_and_generates_the_same_tokens() {
    let Some(device) = lavapipe() else { return };
    let name = "tiny-qwen2";
    let reference = decoder_reference(name);
    let prompt = json_ids(&reference["prompt_ids"]);
    let expected = json_ids(&reference["q4_0"]["greedy_ids"]);
    let path = decoder_dir(name).join("model-q4_0.gguf");
    let mut generator = TextGenerator::load(&path, &device).expect("load the decoder");
    let options = GenerateOptions {
        max_new_tokens: expected.len(),
        stop_at_eos: false,
        stop_ids: Vec::new(),
        ..Default::default()
    };
    let generate = |g: &TextGenerator| g.generate_ids(&prompt, &options, |_| true);

    let (mut rng, _seed) = seeded_rng("device_recovery_decoder");
    let values = random_vec(&mut rng, CHUNK_BYTES / 4, -1.0, 1.0);
    let _one_at_a_time = LIMITED.lock().unwrap_or_else(|p| p.into_inner());
    limit_address_space(Some(virtual_size() + HEADROOM_BYTES));
    let error = exhaust(&device, &values);
    eprintln!("out of memory: {error}");
    let failed = generate(&generator);
    assert!(
        generator.is_device_lost() || failed.is_ok(),
        "the device is not lost, yet generation fails: {:?}",
        failed.err()
    );
    drop(device);
    let recovered = generator.recover();
    let after = generate(&generator);
    limit_address_space(None);
    recovered.expect("recover under the limit");
    let after = after.expect("generate after recovering");
    assert_eq!(after.generation.ids, expected, "greedy ids after recovery");
}
