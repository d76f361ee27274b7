//! Convolutional networks from ONNX: a tiny convnet (tests/data/onnx/
//! tiny_convnet.onnx, built by scripts/make-onnx-convnet.py) against
//! onnxruntime with and without the load-time conv fusion, the fusion's node
//! and dispatch counts, and ONNX's own node tests of Conv, ConvTranspose,
//! the pools, LRN and BatchNormalization, on every test adapter.

mod common;

use common::*;
use serde_json::Value;
use tessera_runtime::onnx::node_tests::{list_cases, run_case, CaseOutcome};
use tessera_runtime::onnx::{LoadOptions, OnnxModel};
use tessera_runtime::Tensor;

fn floats(v: &Value) -> (Vec<usize>, Vec<f32>) {
    let shape = v["shape"].as_array().unwrap();
    let data = v["data"].as_array().unwrap();
    (
        shape.iter().map(|d| d.as_u64().unwrap() as usize).collect(),
        data.iter().map(|x| x.as_f64().unwrap() as f32).collect(),
    )
}

fn convnet() -> (Vec<u8>, Value) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/onnx");
    let bytes = std::fs::read(dir.join("tiny_convnet.onnx")).unwrap();
    let json = std::fs::read_to_string(dir.join("tiny_convnet.json")).unwrap();
    (bytes, serde_json::from_str(&json).unwrap())
}

/// Nodes in tiny_convnet.onnx, and after fusion: Conv+BatchNormalization+Relu,
/// Conv+Mul+Add+LeakyRelu, Conv+HardSwish, Conv+Clip and Conv+Sigmoid each
/// become one node (8 absorbed); the Conv before HardSigmoid stays alone
/// because its output is also a graph output.
const NODES: usize = 20;
const FUSED_NODES: usize = 12;

#[test]
fn tiny_convnet_matches_onnxruntime_fused_and_unfused_on_every_adapter() {
    let _serial = dispatch_count_lock();
    let (bytes, reference) = convnet();
    let (xs, xv) = floats(&reference["x"]);
    let tol = Tolerance {
        rtol: 1e-4,
        atol: 1e-5,
    };
    for device in test_devices() {
        let load = |fuse| OnnxModel::from_bytes_with(&bytes, None, device, LoadOptions { fuse });
        let (fused, plain) = (load(true).unwrap(), load(false).unwrap());
        assert_eq!(plain.node_count(), NODES);
        assert_eq!(fused.node_count(), FUSED_NODES);
        let x = Tensor::from_slice(device, &xv, &xs).unwrap();
        let run = |m: &OnnxModel| -> (Vec<Vec<f32>>, u64) {
            let before = device.stats().dispatches;
            let out = m.run(std::slice::from_ref(&x)).unwrap();
            let dispatches = device.stats().dispatches - before;
            (
                out.iter().map(|t| t.to_f32_vec().unwrap()).collect(),
                dispatches,
            )
        };
        let ((fy, fused_dispatches), (py, plain_dispatches)) = (run(&fused), run(&plain));
        for (i, name) in ["y", "c6"].iter().enumerate() {
            let (_, want) = floats(&reference[*name]);
            let what = |k: &str| format!("{k} {name} on {}", label(device));
            assert_close(&fy[i], &want, tol, &what("fused"));
            assert_close(&py[i], &want, tol, &what("unfused"));
            assert_close(&fy[i], &py[i], tol, &what("fused vs unfused"));
        }
        // Each absorbed node ran at least one dispatch of its own unfused.
        if plain_dispatches > 0 {
            assert!(
                fused_dispatches + 8 <= plain_dispatches,
                "{}: {fused_dispatches} dispatches fused, {plain_dispatches} unfused",
                label(device)
            );
        }
        eprintln!(
            "{}: {fused_dispatches} dispatches fused, {plain_dispatches} unfused",
            label(device)
        );
    }
}

/// The node tests of the operators this suite adds: every one that runs must
/// pass on every adapter.
const PREFIXES: &[&str] = &[
    "test_conv",
    "test_basic_conv",
    "test_maxpool",
    "test_averagepool",
    "test_globalaveragepool",
    "test_globalmaxpool",
    "test_lrn",
    "test_batchnorm",
];

/// Cases under those prefixes that do not pass, and why; any other case
/// that does not pass fails the test.
const NOT_PASSING: &[(&str, &str)] = &[
    (
        "test_convinteger_with_padding",
        "ConvInteger is another operator",
    ),
    (
        "test_convinteger_without_padding",
        "ConvInteger is another operator",
    ),
    (
        "test_maxpool_with_argmax_2d_precomputed_pads",
        "MaxPool's Indices output is refused",
    ),
    (
        "test_maxpool_with_argmax_2d_precomputed_strides",
        "MaxPool's Indices output is refused",
    ),
];

#[test]
fn onnx_node_tests_of_convolutions_and_pools_pass_on_every_adapter() {
    let _serial = dispatch_count_lock();
    let Some(dir) = std::env::var_os("TESSERA_ONNX_NODE_TESTS") else {
        eprintln!("skipped: TESSERA_ONNX_NODE_TESTS is unset (scripts/setup-onnx.sh writes them)");
        return;
    };
    let cases = list_cases(std::path::Path::new(&dir)).expect("the node-test folder");
    let ours: Vec<_> = cases
        .iter()
        .filter(|c| {
            let name = c.file_name().unwrap().to_string_lossy().to_string();
            PREFIXES.iter().any(|p| name.starts_with(p))
        })
        .collect();
    assert!(ours.len() > 60, "only {} cases", ours.len());
    let mut failures = Vec::new();
    for device in test_devices() {
        let mut passed = 0;
        for case in &ours {
            let r = run_case(case, device);
            let known = NOT_PASSING.iter().any(|(n, _)| *n == r.name);
            match &r.outcome {
                CaseOutcome::Passed => passed += 1,
                _ if known => {}
                other => failures.push(format!("{} on {}: {other:?}", r.name, label(device))),
            }
        }
        eprintln!("{}: {passed} of {} pass", label(device), ours.len());
        assert_eq!(
            passed + NOT_PASSING.len(),
            ours.len(),
            "a case listed as not passing passes on {}: update NOT_PASSING",
            label(device)
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
