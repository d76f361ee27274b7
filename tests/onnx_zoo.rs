//! The `onnx` wheel's light model zoo (AlexNet, DenseNet-121, Inception v1
//! and v2, ResNet-50, ShuffleNet, SqueezeNet, VGG-19, ZFNet-512 at
//! 1x3x224x224, written to $TESSERA_ONNX_NODE_TESTS/light by
//! scripts/onnx-zoo.py) on every test adapter: the output against the
//! wheel's expected output under the tolerance onnx's runner uses (rtol 1e-3,
//! DenseNet 2e-3; atol 1e-7), and, since the softmax of constant weights is
//! 1/1000 everywhere whatever came before it, the logits before the softmax
//! against onnxruntime's (tests/data/onnx/light_logits.json, written by
//! `scripts/onnx-zoo.py DIR --logits FILE`).
//!
//! VGG-19 (39 GFLOP, five times ResNet-50) runs only with
//! TESSERA_ONNX_ZOO_FULL=1: it took 127 s on lavapipe on the 2-core build
//! machine under a load of 13 (ResNet-50: 44 s, the other seven 2-30 s).

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::time::Instant;
use tessera_runtime::onnx::{decode_tensor_bytes, HostTensor, OnnxModel};
use tessera_runtime::Tensor;

const MODELS: [&str; 9] = [
    "bvlc_alexnet",
    "densenet121",
    "inception_v1",
    "inception_v2",
    "resnet50",
    "shufflenet",
    "squeezenet",
    "vgg19",
    "zfnet512",
];

fn read(path: &Path) -> HostTensor {
    decode_tensor_bytes(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn light_model_zoo_matches_onnx_on_every_adapter() {
    let Some(dir) = std::env::var_os("TESSERA_ONNX_NODE_TESTS") else {
        eprintln!(
            "skipped: TESSERA_ONNX_NODE_TESTS is unset (scripts/setup-onnx.sh writes the zoo)"
        );
        return;
    };
    let zoo = Path::new(&dir).join("light");
    assert!(
        zoo.join("VERSION").is_file(),
        "{zoo:?} holds no light models: run scripts/setup-onnx.sh (it writes them beside the node tests)"
    );
    let logits_file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/onnx/light_logits.json");
    let logits: Value =
        serde_json::from_str(&std::fs::read_to_string(logits_file).unwrap()).unwrap();
    let full = std::env::var("TESSERA_ONNX_ZOO_FULL").is_ok_and(|v| v == "1");
    for device in test_devices() {
        for name in MODELS.into_iter().filter(|&m| full || m != "vgg19") {
            let folder = zoo.join(name);
            let start = Instant::now();
            let model = OnnxModel::load(folder.join("model.onnx"), device)
                .unwrap_or_else(|e| panic!("{name} on {}: {e}", label(device)));
            let loaded = start.elapsed();
            let x = read(&folder.join("input_0.pb"));
            let expected = read(&folder.join("output_0.pb"));
            let input = Tensor::from_slice(device, &x.to_f32(), &x.shape).unwrap();
            let start = Instant::now();
            let outputs = model
                .run(&[input])
                .unwrap_or_else(|e| panic!("{name} on {}: {e}", label(device)));
            let y = outputs[0].to_f32_vec().unwrap();
            let ran = start.elapsed();
            let rtol = if name == "densenet121" { 2e-3 } else { 1e-3 };
            let what = format!("{name} on {}", label(device));
            assert_eq!(outputs[0].shape(), &expected.shape[..], "{what}");
            assert_close(
                &y,
                &expected.to_f32(),
                Tolerance { rtol, atol: 1e-7 },
                &what,
            );
            if let Some(entry) = logits.get(name) {
                let got = outputs[1].to_f32_vec().unwrap();
                let want: Vec<f32> = match entry.get("fill") {
                    Some(v) => vec![v.as_f64().unwrap() as f32; got.len()],
                    None => entry["data"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_f64().unwrap() as f32)
                        .collect(),
                };
                assert_close(
                    &got,
                    &want,
                    Tolerance {
                        rtol: 1e-3,
                        atol: 0.0,
                    },
                    &format!("logits of {what}"),
                );
            }
            eprintln!(
                "{what}: {} nodes, load {:.2}s, run {:.2}s",
                model.node_count(),
                loaded.as_secs_f64(),
                ran.as_secs_f64()
            );
        }
    }
}
