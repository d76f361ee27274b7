//! A tiny BERT-like block (tests/data/onnx/tiny_encoder.onnx, built with the
//! `onnx` helper API by scripts/make-onnx-tiny.py: dynamic batch and sequence,
//! shape arithmetic, LayerNormalization, Gelu, Softmax) against onnxruntime's
//! outputs, on every test adapter, at two input shapes.

mod common;

use common::*;
use serde_json::Value;
use tessera_runtime::onnx::{OnnxModel, OnnxValue};
use tessera_runtime::Tensor;

fn floats(v: &Value) -> (Vec<usize>, Vec<f32>) {
    let shape = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    (shape, data)
}

#[test]
fn tiny_encoder_matches_onnxruntime_on_every_adapter() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/onnx");
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("tiny_encoder.json")).unwrap())
            .unwrap();
    let tol = Tolerance {
        rtol: 1e-4,
        atol: 1e-5,
    };
    for device in test_devices() {
        let model = OnnxModel::load(dir.join("tiny_encoder.onnx"), device).expect("loads");
        for case in reference["cases"].as_array().unwrap() {
            let (shape, x) = floats(&case["x"]);
            let input = Tensor::from_slice(device, &x, &shape).unwrap();
            for round in 0..2 {
                let out = model.run(std::slice::from_ref(&input)).expect("runs");
                for (i, name) in ["ln", "gate"].iter().enumerate() {
                    let (eshape, expected) = floats(&case[*name]);
                    assert_eq!(
                        out[i].shape(),
                        eshape.as_slice(),
                        "{name} on {}",
                        label(device)
                    );
                    let ctx = format!(
                        "{name}, input {shape:?}, round {round}, on {}",
                        label(device)
                    );
                    assert_close(&out[i].to_f32_vec().unwrap(), &expected, tol, &ctx);
                }
            }
            let planned = model.planned_shape(&[OnnxValue::Tensor(input.clone())], "qshape");
            assert_eq!(
                planned,
                Some(vec![4]),
                "the plan of {shape:?} holds the inferred shapes"
            );
        }
        assert_eq!(model.plan_count(), 2, "one plan per set of input shapes");
        let wrong = Tensor::from_slice(device, &[0.0f32; 6], &[1, 1, 6]).unwrap();
        assert!(
            model.run(&[wrong]).is_err(),
            "a dim contradicting the graph is refused"
        );
    }
}
