//! BERT encoders exported by torch.onnx (scripts/make-onnx-bert.py) against
//! onnxruntime's outputs: a tiny random-weight BertModel (committed, dynamic
//! batch and sequence) on every test adapter at two input shapes; and, when
//! TESSERA_ONNX_MINILM names an export of all-MiniLM-L6-v2, that graph
//! against onnxruntime and against Tessera's own BERT (`tessera embed`'s
//! hidden states) on the same ids.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tessera_runtime::models::bert::SentenceEmbedder;
use tessera_runtime::onnx::{HostData, HostTensor, LoadOptions, OnnxModel, OnnxValue};

const TOL: Tolerance = Tolerance {
    rtol: 1e-4,
    atol: 1e-4,
};

fn shape(v: &Value) -> Vec<usize> {
    v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect()
}

fn ints(v: &Value) -> HostTensor {
    let data = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect();
    HostTensor::new(shape(v), HostData::I64(data)).unwrap()
}

fn floats(v: &Value) -> Vec<f32> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

/// Runs every case of `reference` through `model`; returns our outputs.
fn check_cases(model: &OnnxModel, reference: &Value, what: &str) -> Vec<Vec<f32>> {
    let mut outs = Vec::new();
    for case in reference["cases"].as_array().unwrap() {
        let ids = ints(&case["input_ids"]);
        let mask = ints(&case["attention_mask"]);
        let out = model
            .run_values(vec![OnnxValue::Host(ids.clone()), OnnxValue::Host(mask)])
            .expect("runs");
        let got = out[0].to_host().unwrap();
        let want = &case["last_hidden_state"];
        assert_eq!(got.shape, shape(want), "{what}");
        let got = got.to_f32();
        let want = floats(want);
        let worst = got
            .iter()
            .zip(&want)
            .map(|(a, e)| (a - e).abs())
            .fold(0f32, f32::max);
        eprintln!(
            "{what}, ids {:?}: max |ours - onnxruntime| = {worst:.2e}",
            ids.shape
        );
        assert_close(&got, &want, TOL, &format!("{what}, ids {:?}", ids.shape));
        outs.push(got);
    }
    outs
}

#[test]
fn tiny_bert_exported_by_torch_matches_onnxruntime_on_every_adapter() {
    let _serial = dispatch_count_lock();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/onnx");
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("tiny_bert.json")).unwrap())
            .unwrap();
    for device in test_devices() {
        let model = OnnxModel::load(dir.join("tiny_bert.onnx"), device).expect("loads");
        check_cases(
            &model,
            &reference,
            &format!("tiny BERT on {}", label(device)),
        );
        assert_eq!(model.plan_count(), 2, "one plan per input shape");
    }
}

/// Fused and unfused loads of `path` on every adapter, each against
/// onnxruntime's outputs; prints the dispatches and intermediate memory of a
/// run of each, and checks fusion cut dispatches on the wgpu adapters.
fn fused_against_unfused(path: &Path, reference: &Value, what: &str) {
    let bytes = std::fs::read(path).unwrap();
    for device in test_devices() {
        let mut counts = Vec::new();
        let mut outs = Vec::new();
        for fuse in [false, true] {
            let model =
                OnnxModel::from_bytes_with(&bytes, path.parent(), device, LoadOptions { fuse })
                    .expect("loads");
            let tag = if fuse { "fused" } else { "unfused" };
            outs.push(check_cases(
                &model,
                reference,
                &format!("{what} {tag} on {}", label(device)),
            ));
            let memory = model.last_run_memory().unwrap();
            let dispatches = model.last_run_dispatches().unwrap();
            let (groups, nodes) = model.fused_groups();
            eprintln!(
                "{what} {tag} on {}: {} nodes, {groups} fused groups of {nodes} nodes, \
                 {dispatches} dispatches in the last run, largest live set {} bytes",
                label(device),
                model.node_count(),
                memory.largest_live
            );
            counts.push(dispatches);
            if fuse {
                assert!(groups > 0, "{what}: no elementwise group fused");
            }
        }
        if device.adapter().features.execution == tessera_hal::Execution::WgslPrograms {
            assert!(counts[1] < counts[0], "{what}: fused {counts:?}");
        }
        // Fused and unfused agree with each other closer than with onnxruntime.
        for (f, u) in outs[1].iter().zip(&outs[0]) {
            assert_close(f, u, TOL, &format!("{what}: fused vs unfused"));
        }
    }
}

#[test]
fn tiny_bert_fused_and_unfused_match_onnxruntime_with_fewer_dispatches() {
    let _serial = dispatch_count_lock();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/onnx");
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("tiny_bert.json")).unwrap())
            .unwrap();
    fused_against_unfused(&dir.join("tiny_bert.onnx"), &reference, "tiny BERT");
}

#[test]
fn minilm_fused_and_unfused_match_onnxruntime() {
    let _serial = dispatch_count_lock();
    let Some(path) = std::env::var_os("TESSERA_ONNX_MINILM").map(PathBuf::from) else {
        eprintln!("SKIPPED: TESSERA_ONNX_MINILM is unset");
        return;
    };
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(path.with_extension("json")).unwrap())
            .unwrap();
    fused_against_unfused(&path, &reference, "MiniLM");
}

#[test]
fn minilm_exported_by_torch_matches_onnxruntime_and_tesseras_bert() {
    let _serial = dispatch_count_lock();
    let Some(path) = std::env::var_os("TESSERA_ONNX_MINILM").map(PathBuf::from) else {
        eprintln!(
            "SKIPPED: TESSERA_ONNX_MINILM is unset (scripts/make-onnx-bert.py --minilm DIR OUT.onnx writes it)"
        );
        return;
    };
    let Some(model_dir) = model_dir() else {
        return;
    };
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(path.with_extension("json")).unwrap())
            .unwrap();
    for device in test_devices() {
        let model = OnnxModel::load(&path, device).expect("loads");
        let what = format!("MiniLM ONNX on {}", label(device));
        let outs = check_cases(&model, &reference, &what);
        let native = SentenceEmbedder::load(&model_dir, device).expect("native BERT loads");
        let mut worst = 0f32;
        for (case, out) in reference["cases"].as_array().unwrap().iter().zip(&outs) {
            let ids = ints(&case["input_ids"]);
            let mask = ints(&case["attention_mask"]);
            let (b, s) = (ids.shape[0], ids.shape[1]);
            let h = out.len() / (b * s);
            let (HostData::I64(idv), HostData::I64(mv)) = (&ids.data, &mask.data) else {
                unreachable!()
            };
            for row in 0..b {
                let len = mv[row * s..(row + 1) * s]
                    .iter()
                    .filter(|&&m| m != 0)
                    .count();
                let row_ids: Vec<u32> = idv[row * s..row * s + len]
                    .iter()
                    .map(|&i| i as u32)
                    .collect();
                let hidden = native
                    .hidden_states(&[row_ids])
                    .unwrap()
                    .to_f32_vec()
                    .unwrap();
                let ours = &out[row * s * h..(row * s + len) * h];
                for (a, e) in ours.iter().zip(&hidden) {
                    worst = worst.max((a - e).abs());
                }
                assert_close(
                    ours,
                    &hidden,
                    TOL,
                    &format!("{what} vs native BERT, row {row}"),
                );
            }
        }
        eprintln!("{what}: max |ONNX - native BERT| = {worst:.2e}");
    }
}
