//! f16 checkpoints keep their matrices f16 on the device (as `QuantFormat::F16`
//! blocks read by the quantized kernels) and compute what the same weights,
//! rounded to f16 but stored as f32, compute through the dense kernels: first
//! step and every prompt position within 1e-4 of the largest logit, the same
//! greedy continuation. The f16 checkpoints are written here from the tiny
//! transformers models in `tests/data/decoders/`: a safetensors folder with
//! every tensor F16, and a GGUF with its matrices F16 (vectors stay F32, as
//! llama.cpp writes them). Runs on every test adapter.

mod common;

use common::*;
use half::f16;
use std::path::{Path, PathBuf};
use tessera_runtime::loaders::gguf::{GgmlType, GgufModelFile, GgufWriter};
use tessera_runtime::loaders::{write_safetensors_f16, write_safetensors_f32, SafetensorsFile};
use tessera_runtime::models::llama::load_decoder;
use tessera_runtime::nn::Weight;
use tessera_runtime::quant::QuantFormat;

/// Largest |f16-weight logit - rounded-f32-weight logit| over the largest |logit|.
const F16_VS_ROUNDED_RTOL: f64 = 1e-4;

const MODELS: [&str; 2] = ["tiny-llama", "tiny-qwen2"];

fn model_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/decoders")
        .join(name)
}

fn round_f16(values: &[f32]) -> Vec<f32> {
    values.iter().map(|&v| f16::from_f32(v).to_f32()).collect()
}

/// Beside `config.json`, `model.safetensors` with every tensor of `name`'s
/// checkpoint rounded to f16, stored as F16 (`as_f16`) or as F32.
fn rounded_safetensors(name: &str, as_f16: bool, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let src = model_dir(name);
    std::fs::copy(src.join("config.json"), dir.join("config.json")).unwrap();
    let file = SafetensorsFile::open(&src.join("model.safetensors")).unwrap();
    let tensors: Vec<(String, Vec<usize>, Vec<f32>)> = file
        .names()
        .into_iter()
        .map(|n| {
            let shape = file.info(n).unwrap().shape.clone();
            (n.to_string(), shape, round_f16(&file.to_f32(n).unwrap()))
        })
        .collect();
    let refs: Vec<(&str, &[usize], &[f32])> = tensors
        .iter()
        .map(|(n, s, v)| (n.as_str(), s.as_slice(), v.as_slice()))
        .collect();
    let out = dir.join("model.safetensors");
    match as_f16 {
        true => write_safetensors_f16(&out, &refs).unwrap(),
        false => write_safetensors_f32(&out, &refs).unwrap(),
    }
}

/// `name`'s F32 GGUF rewritten with every value rounded to f16: matrices
/// stored F16, vectors F32 (same metadata).
fn f16_gguf(name: &str, path: &Path) {
    let file = GgufModelFile::open(&model_dir(name).join("model-f32.gguf")).unwrap();
    let mut writer = GgufWriter::new();
    for (key, value) in &file.header().metadata {
        writer.metadata(key.clone(), value.clone());
    }
    for info in &file.header().tensors {
        let values = file.tensor_f32(&info.name).unwrap();
        if info.dims.len() == 2 {
            let bytes: Vec<u8> = values
                .iter()
                .flat_map(|&v| f16::from_f32(v).to_le_bytes())
                .collect();
            writer.tensor(info.name.clone(), &info.dims, GgmlType::F16, bytes);
        } else {
            writer.tensor_f32(info.name.clone(), &info.dims, &round_f16(&values));
        }
    }
    writer.write(path).unwrap();
}

fn is_f16_blocks(w: &Weight) -> bool {
    matches!(w, Weight::Quant(q) if q.format() == QuantFormat::F16)
}

#[test]
fn f16_checkpoints_stay_f16_and_match_rounded_f32_weights() {
    poison_outputs();
    let tmp = std::env::temp_dir().join(format!("tessera-decoder-f16-{}", std::process::id()));
    let prompt: Vec<u32> = vec![3, 17, 250, 9, 41, 101, 7];
    for name in MODELS {
        let (f16_dir, f32_dir) = (
            tmp.join(format!("{name}-f16")),
            tmp.join(format!("{name}-f32")),
        );
        rounded_safetensors(name, true, &f16_dir);
        rounded_safetensors(name, false, &f32_dir);
        let gguf = tmp.join(format!("{name}-f16.gguf"));
        f16_gguf(name, &gguf);
        for device in test_devices() {
            let dense = load_decoder(&f32_dir, device).unwrap();
            let mut cache = dense.new_cache(prompt.len()).unwrap();
            let want = dense.forward_all(&prompt, &mut cache).unwrap();
            let want = want.to_f32_vec().unwrap();
            let want_ids = greedy_ids(&dense, &prompt, 24);
            for path in [&f16_dir, &gguf] {
                let context = format!("{} on {}", path.display(), label(device));
                let decoder = load_decoder(path, device).unwrap();
                assert!(
                    is_f16_blocks(&decoder.embed),
                    "{context}: embedding not f16"
                );
                for layer in &decoder.layers {
                    for w in [
                        layer.qkv.weight(),
                        layer.o.weight(),
                        layer.gate_up.weight(),
                        layer.down.weight(),
                    ] {
                        assert!(is_f16_blocks(w), "{context}: a projection not f16");
                    }
                }
                assert!(
                    decoder.weight_bytes() * 10 < dense.weight_bytes() * 6,
                    "{context}"
                );
                let mut cache = decoder.new_cache(prompt.len()).unwrap();
                let got = decoder.forward_all(&prompt, &mut cache).unwrap();
                let got = got.to_f32_vec().unwrap();
                let vocab = decoder.config.vocab_size;
                for p in 0..prompt.len() {
                    let row = p * vocab..(p + 1) * vocab;
                    let err = logit_relative_error(&got[row.clone()], &want[row]);
                    assert!(
                        err <= F16_VS_ROUNDED_RTOL,
                        "{context}: position {p} off by {err:.2e}"
                    );
                }
                assert_eq!(
                    greedy_ids(&decoder, &prompt, 24),
                    want_ids,
                    "{context}: greedy"
                );
            }
        }
    }
    std::fs::remove_dir_all(&tmp).ok();
}
