//! Intermediates are dropped after their last reader, so a long chain of
//! 4 MiB activations holds two at a time, and the runner submits recorded
//! work once the dropped ones pass the live set and 8 MiB (the recorded work
//! holds their buffers until then): the device's peak stays near weights + 2
//! live activations, the same at depth 8 and 40, instead of growing with the
//! chain's depth.

mod common;

use common::*;
use prost::Message;
use tessera_hal::{open_device, AdapterSelector};
use tessera_runtime::onnx::proto::{
    GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto, ValueInfoProto,
};
use tessera_runtime::onnx::{LoadOptions, OnnxModel, OnnxValue};
use tessera_runtime::Tensor;

const ROWS: usize = 1024;
const COLS: usize = 1024;
/// One activation: 1024 x 1024 f32, 4 MiB.
const ACT: u64 = (ROWS * COLS * 4) as u64;

fn node(op: &str, inputs: &[&str], output: &str) -> NodeProto {
    NodeProto {
        op_type: Some(op.into()),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.to_string()],
        ..Default::default()
    }
}

/// `depth` nodes: Relu, Add(bias), Relu, Add(bias), ... on a [256, 1024] input.
fn chain(depth: usize) -> Vec<u8> {
    let names: Vec<String> = (0..=depth)
        .map(|i| {
            if i == 0 {
                "x".into()
            } else if i == depth {
                "y".into()
            } else {
                format!("h{i}")
            }
        })
        .collect();
    let nodes = (0..depth)
        .map(|i| match i % 2 {
            0 => node("Relu", &[&names[i]], &names[i + 1]),
            _ => node("Add", &[&names[i], "bias"], &names[i + 1]),
        })
        .collect();
    let bias = TensorProto {
        name: Some("bias".into()),
        dims: vec![COLS as i64],
        data_type: Some(1),
        float_data: (0..COLS).map(|i| (i % 7) as f32 * 0.25 - 0.5).collect(),
        ..Default::default()
    };
    let value = |n: &str| ValueInfoProto {
        name: Some(n.into()),
        ..Default::default()
    };
    ModelProto {
        ir_version: Some(8),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(17),
        }],
        graph: Some(GraphProto {
            node: nodes,
            initializer: vec![bias],
            input: vec![value("x")],
            output: vec![value("y")],
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

#[test]
fn a_long_chain_holds_about_two_intermediates() {
    for device in test_devices() {
        let index = device.adapter().index.to_string();
        let mut peaks = Vec::new();
        // Unfused: one intermediate per node, so liveness is what keeps the
        // peak flat (fused, the chain is a few fused_map dispatches).
        for depth in [8usize, 40] {
            // A fresh device, so its peak is this run's.
            let dev = open_device(&AdapterSelector::Named(index.clone())).unwrap();
            let unfused = LoadOptions { fuse: false };
            let model = OnnxModel::from_bytes_with(&chain(depth), None, &dev, unfused).unwrap();
            let (mut rng, _) = seeded_rng("onnx_chain");
            let xv = random_vec(&mut rng, ROWS * COLS, -1.0, 1.0);
            let x = Tensor::from_slice(&dev, &xv, &[ROWS, COLS]).unwrap();
            let y = model.run_values(vec![OnnxValue::Tensor(x)]).unwrap();
            drop(y);
            let m = model.last_run_memory().unwrap();
            eprintln!(
                "{} depth {depth}: weights {} B, largest live {} B, device peak {} B",
                label(device),
                m.weights,
                m.largest_live,
                m.device_peak
            );
            assert_eq!(m.weights, (COLS * 4) as u64);
            assert!(
                m.largest_live <= 2 * ACT,
                "{} depth {depth}: {} B live at once",
                label(device),
                m.largest_live
            );
            // Measured: weights + 3 activations on lavapipe and GL (one
            // waiting for its submit), weights + 2 on the CPU backend.
            assert!(
                m.device_peak <= m.weights + 4 * ACT,
                "{} depth {depth}: device peak {} B, more than weights + 4 activations",
                label(device),
                m.device_peak
            );
            peaks.push(m.device_peak);
        }
        assert!(
            peaks[1] <= peaks[0] + ACT,
            "{}: peak grows with depth: {peaks:?}",
            label(device)
        );
    }
}

fn ints(name: &str, dims: &[i64], values: &[i64]) -> TensorProto {
    TensorProto {
        name: Some(name.into()),
        dims: dims.to_vec(),
        data_type: Some(7),
        int64_data: values.to_vec(),
        ..Default::default()
    }
}

/// x -> Pad (constant 0.5) -> Tile -> GatherElements (axis 1) -> Slice
/// (reversed columns) -> y: four layout nodes that gather by index map.
fn layout_graph() -> Vec<u8> {
    let mut pad = node("Pad", &["x", "pads", "fill"], "p");
    pad.attribute = vec![];
    let mut gather = node("GatherElements", &["t", "idx"], "g");
    gather.attribute = vec![tessera_runtime::onnx::proto::AttributeProto {
        name: Some("axis".into()),
        r#type: Some(2),
        i: Some(1),
        ..Default::default()
    }];
    let fill = TensorProto {
        name: Some("fill".into()),
        dims: vec![],
        data_type: Some(1),
        float_data: vec![0.5],
        ..Default::default()
    };
    // p is [r + 2, c + 3] = t's rows / 2; idx is [2, 3] with values < t's cols.
    let idx = ints("idx", &[2, 3], &[0, 4, 2, 1, 1, 3]);
    let value = |n: &str| ValueInfoProto {
        name: Some(n.into()),
        ..Default::default()
    };
    ModelProto {
        ir_version: Some(8),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(17),
        }],
        graph: Some(GraphProto {
            node: vec![
                pad,
                node("Tile", &["p", "reps"], "t"),
                gather,
                node("Slice", &["g", "starts", "ends", "axes", "steps"], "y"),
            ],
            initializer: vec![
                ints("pads", &[4], &[1, 2, 1, 1]),
                fill,
                ints("reps", &[2], &[2, 1]),
                idx,
                ints("starts", &[1], &[-1]),
                ints("ends", &[1], &[i64::MIN]),
                ints("axes", &[1], &[1]),
                ints("steps", &[1], &[-1]),
            ],
            input: vec![value("x")],
            output: vec![value("y")],
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

#[test]
fn a_second_run_of_the_same_shape_uploads_no_index_map() {
    let (mut rng, seed) = seeded_rng("onnx_index_maps");
    for device in test_devices() {
        let model = OnnxModel::from_bytes(&layout_graph(), None, device).unwrap();
        let mut outs = Vec::new();
        for shape in [[3usize, 4], [3, 4], [5, 6], [3, 4]] {
            let xv = random_vec(&mut rng, shape[0] * shape[1], -1.0, 1.0);
            let x = Tensor::from_slice(device, &xv, &shape).unwrap();
            let y = model.run_values(vec![OnnxValue::Tensor(x)]).unwrap();
            let y = y[0].to_host().unwrap();
            let uploads = model.last_run_index_uploads().unwrap();
            eprintln!("{} x {shape:?}: {uploads} table uploads", label(device));
            outs.push((xv, y, uploads));
        }
        let ctx = format!("{} seed {seed}", label(device));
        // First runs of a shape upload their maps; later runs of it none.
        assert!(outs[0].2 >= 4, "{ctx}: {} uploads", outs[0].2);
        assert_eq!(outs[1].2, 0, "{ctx}: second run of [3, 4]");
        assert!(outs[2].2 >= 4, "{ctx}: first run of [5, 6]");
        assert_eq!(outs[3].2, 0, "{ctx}: third run of [3, 4]");
        assert_eq!(model.plan_count(), 2);
        // Fresh inputs through the reused maps give what a fresh model
        // (which builds and uploads every map) gives, exactly.
        for k in [1, 3] {
            let fresh = OnnxModel::from_bytes(&layout_graph(), None, device).unwrap();
            let x = Tensor::from_slice(device, &outs[k].0, &[3, 4]).unwrap();
            let want = fresh.run_values(vec![OnnxValue::Tensor(x)]).unwrap();
            assert_eq!(outs[k].1, want[0].to_host().unwrap(), "{ctx}: run {k}");
        }
        // Run 2 with run 1's input gives run 1's output exactly.
        let x = Tensor::from_slice(device, &outs[0].0, &[3, 4]).unwrap();
        let again = model.run_values(vec![OnnxValue::Tensor(x)]).unwrap();
        assert_eq!(again[0].to_host().unwrap(), outs[0].1, "{ctx}");
        assert_eq!(model.last_run_index_uploads(), Some(0), "{ctx}");
    }
}
