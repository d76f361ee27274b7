//! f16 and bf16 checkpoints keep their matrices in their format on the device
//! (as `QuantFormat::F16` / `QuantFormat::BF16` blocks read by the quantized
//! kernels) and compute what the same weights, rounded to f16 / bf16 but
//! stored as f32, compute through the dense kernels: first step and every
//! prompt position within 1e-4 of the largest logit, the same greedy
//! continuation. The half checkpoints are written here from the tiny
//! transformers models in `tests/data/decoders/`: a safetensors folder with
//! every tensor F16 / BF16, and a GGUF with its matrices F16 / BF16 (vectors
//! stay F32, as llama.cpp writes them). Runs on every test adapter.

mod common;

use common::*;
use half::{bf16, f16};
use std::path::{Path, PathBuf};
use tessera_runtime::loaders::gguf::{GgmlType, GgufModelFile, GgufWriter};
use tessera_runtime::loaders::{
    write_safetensors_bf16, write_safetensors_f16, write_safetensors_f32, SafetensorsFile,
};
use tessera_runtime::models::llama::load_decoder;
use tessera_runtime::nn::Weight;
use tessera_runtime::quant::QuantFormat;

/// Largest |half-weight logit - rounded-f32-weight logit| over the largest |logit|.
const HALF_VS_ROUNDED_RTOL: f64 = 1e-4;

const MODELS: [&str; 2] = ["tiny-llama", "tiny-qwen2"];

/// A 16-bit float storage of the weights.
#[derive(Clone, Copy, Debug)]
enum Half {
    F16,
    BF16,
}

impl Half {
    fn name(self) -> &'static str {
        match self {
            Half::F16 => "f16",
            Half::BF16 => "bf16",
        }
    }

    /// `v` rounded to this format, widened back.
    fn round(self, v: f32) -> f32 {
        match self {
            Half::F16 => f16::from_f32(v).to_f32(),
            Half::BF16 => bf16::from_f32(v).to_f32(),
        }
    }

    /// `v` rounded to this format, little-endian bytes.
    fn bytes(self, v: f32) -> [u8; 2] {
        match self {
            Half::F16 => f16::from_f32(v).to_le_bytes(),
            Half::BF16 => bf16::from_f32(v).to_le_bytes(),
        }
    }

    fn ggml_type(self) -> GgmlType {
        match self {
            Half::F16 => GgmlType::F16,
            Half::BF16 => GgmlType::BF16,
        }
    }

    fn quant_format(self) -> QuantFormat {
        match self {
            Half::F16 => QuantFormat::F16,
            Half::BF16 => QuantFormat::BF16,
        }
    }
}

fn model_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/decoders")
        .join(name)
}

/// Beside `config.json`, `model.safetensors` with every tensor of `name`'s
/// checkpoint rounded to `half`, stored as that format (`stored_half`) or as
/// F32.
fn rounded_safetensors(name: &str, half: Half, stored_half: bool, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let src = model_dir(name);
    std::fs::copy(src.join("config.json"), dir.join("config.json")).unwrap();
    let file = SafetensorsFile::open(&src.join("model.safetensors")).unwrap();
    let tensors: Vec<(String, Vec<usize>, Vec<f32>)> = file
        .names()
        .into_iter()
        .map(|n| {
            let shape = file.info(n).unwrap().shape.clone();
            let values = file.to_f32(n).unwrap();
            let rounded = values.iter().map(|&v| half.round(v)).collect();
            (n.to_string(), shape, rounded)
        })
        .collect();
    let refs: Vec<(&str, &[usize], &[f32])> = tensors
        .iter()
        .map(|(n, s, v)| (n.as_str(), s.as_slice(), v.as_slice()))
        .collect();
    let out = dir.join("model.safetensors");
    match (stored_half, half) {
        (true, Half::F16) => write_safetensors_f16(&out, &refs).unwrap(),
        (true, Half::BF16) => write_safetensors_bf16(&out, &refs).unwrap(),
        (false, _) => write_safetensors_f32(&out, &refs).unwrap(),
    }
}

/// `name`'s F32 GGUF rewritten with every value rounded to `half`: matrices
/// stored in that format, vectors F32 (same metadata).
fn half_gguf(name: &str, half: Half, path: &Path) {
    let file = GgufModelFile::open(&model_dir(name).join("model-f32.gguf")).unwrap();
    let mut writer = GgufWriter::new();
    for (key, value) in &file.header().metadata {
        writer.metadata(key.clone(), value.clone());
    }
    for info in &file.header().tensors {
        let values = file.tensor_f32(&info.name).unwrap();
        if info.dims.len() == 2 {
            let bytes: Vec<u8> = values.iter().flat_map(|&v| half.bytes(v)).collect();
            writer.tensor(info.name.clone(), &info.dims, half.ggml_type(), bytes);
        } else {
            let rounded: Vec<f32> = values.iter().map(|&v| half.round(v)).collect();
            writer.tensor_f32(info.name.clone(), &info.dims, &rounded);
        }
    }
    writer.write(path).unwrap();
}

fn is_blocks(w: &Weight, format: QuantFormat) -> bool {
    matches!(w, Weight::Quant(q) if q.format() == format)
}

/// Both checkpoints of both models in `half` against the rounded f32 ones.
fn half_checkpoints_match_rounded_f32_weights(half: Half) {
    poison_outputs();
    let tmp = std::env::temp_dir().join(format!(
        "tessera-decoder-{}-{}",
        half.name(),
        std::process::id()
    ));
    let prompt: Vec<u32> = vec![3, 17, 250, 9, 41, 101, 7];
    let format = half.quant_format();
    for name in MODELS {
        let (half_dir, f32_dir) = (
            tmp.join(format!("{name}-{}", half.name())),
            tmp.join(format!("{name}-f32")),
        );
        rounded_safetensors(name, half, true, &half_dir);
        rounded_safetensors(name, half, false, &f32_dir);
        let gguf = tmp.join(format!("{name}-{}.gguf", half.name()));
        half_gguf(name, half, &gguf);
        for device in test_devices() {
            let dense = load_decoder(&f32_dir, device).unwrap();
            let mut cache = dense.new_cache(prompt.len()).unwrap();
            let want = dense.forward_all(&prompt, &mut cache).unwrap();
            let want = want.to_f32_vec().unwrap();
            let want_ids = greedy_ids(&dense, &prompt, 24);
            for path in [&half_dir, &gguf] {
                let context = format!("{} on {}", path.display(), label(device));
                let decoder = load_decoder(path, device).unwrap();
                assert!(
                    is_blocks(&decoder.embed, format),
                    "{context}: embedding not {format}"
                );
                for layer in &decoder.layers {
                    for w in [
                        layer.qkv.weight(),
                        layer.o.weight(),
                        layer.gate_up.weight(),
                        layer.down.weight(),
                    ] {
                        assert!(is_blocks(w, format), "{context}: a projection not {format}");
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
                        err <= HALF_VS_ROUNDED_RTOL,
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

#[test]
fn f16_checkpoints_stay_f16_and_match_rounded_f32_weights() {
    half_checkpoints_match_rounded_f32_weights(Half::F16);
}

#[test]
fn bf16_checkpoints_stay_bf16_and_match_rounded_f32_weights() {
    half_checkpoints_match_rounded_f32_weights(Half::BF16);
}
