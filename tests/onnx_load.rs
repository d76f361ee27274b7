//! Malformed ONNX files: each gives its typed error at load, never a panic
//! and never an allocation sized by an unchecked number. The models are
//! built here with the prost messages, then broken one way each.

mod common;

use common::*;
use prost::Message;
use tessera_runtime::onnx::proto::{
    attribute_proto, tensor_proto::DataLocation, AttributeProto, GraphProto, ModelProto, NodeProto,
    OperatorSetIdProto, StringStringEntryProto, TensorProto, ValueInfoProto,
};
use tessera_runtime::onnx::{check_model_bytes, OnnxError, OnnxModel};

fn node(op: &str, inputs: &[&str], outputs: &[&str]) -> NodeProto {
    NodeProto {
        op_type: Some(op.into()),
        name: Some(format!("{op}_{}", outputs.join("_"))),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

fn value(name: &str) -> ValueInfoProto {
    ValueInfoProto {
        name: Some(name.into()),
        ..Default::default()
    }
}

fn weight(name: &str, dims: Vec<i64>, values: Vec<f32>) -> TensorProto {
    TensorProto {
        name: Some(name.into()),
        dims,
        data_type: Some(1),
        float_data: values,
        ..Default::default()
    }
}

/// `y = relu(x + w)`, a valid model.
fn model(nodes: Vec<NodeProto>, inits: Vec<TensorProto>) -> ModelProto {
    ModelProto {
        ir_version: Some(8),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(17),
        }],
        graph: Some(GraphProto {
            node: nodes,
            initializer: inits,
            input: vec![value("x")],
            output: vec![value("y")],
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn valid() -> ModelProto {
    model(
        vec![
            node("Add", &["x", "w"], &["s"]),
            node("Relu", &["s"], &["y"]),
        ],
        vec![weight("w", vec![2], vec![0.5, -2.0])],
    )
}

fn load(m: &ModelProto) -> Result<OnnxModel, OnnxError> {
    OnnxModel::from_bytes(&m.encode_to_vec(), None, &test_devices()[0])
}

#[test]
fn a_valid_model_runs() {
    for device in test_devices() {
        let m = OnnxModel::from_bytes(&valid().encode_to_vec(), None, device).expect("loads");
        let x = tessera_runtime::Tensor::from_slice(device, &[1.0f32, 1.0, -3.0, 3.0], &[2, 2])
            .unwrap();
        let y = m.run(&[x]).expect("runs")[0].to_f32_vec().unwrap();
        assert_eq!(y, vec![1.5, 0.0, 0.0, 1.0], "on {}", label(device));
    }
}

#[test]
fn a_cycle_is_a_typed_error() {
    let m = model(
        vec![
            node("Add", &["x", "b"], &["a"]),
            node("Relu", &["a"], &["b"]),
            node("Relu", &["a"], &["y"]),
        ],
        vec![],
    );
    assert!(
        matches!(load(&m), Err(OnnxError::Cycle { .. })),
        "{:?}",
        load(&m).err()
    );
}

#[test]
fn a_dangling_input_names_the_node_and_the_value() {
    let m = model(vec![node("Add", &["x", "nowhere"], &["y"])], vec![]);
    match load(&m) {
        Err(OnnxError::DanglingInput { node, input, .. }) => {
            assert_eq!((node.as_str(), input.as_str()), ("Add_y", "nowhere"));
        }
        other => panic!("expected DanglingInput, got {:?}", other.err()),
    }
}

#[test]
fn an_initializer_whose_length_does_not_match_its_shape_is_refused() {
    let m = model(
        vec![node("Add", &["x", "w"], &["y"])],
        vec![weight("w", vec![3], vec![1.0])],
    );
    assert!(matches!(load(&m), Err(OnnxError::BadTensor { .. })));
    let mut raw = weight("w", vec![1 << 40, 1 << 40], vec![]);
    raw.raw_data = Some(vec![0; 8]);
    let m = model(vec![node("Add", &["x", "w"], &["y"])], vec![raw]);
    assert!(
        matches!(load(&m), Err(OnnxError::Limit { .. })),
        "huge dims are refused before allocating"
    );
    let mut negative = weight("w", vec![-1], vec![]);
    negative.float_data = vec![];
    let m = model(vec![node("Add", &["x", "w"], &["y"])], vec![negative]);
    assert!(matches!(load(&m), Err(OnnxError::Limit { .. })));
    let mut tag = weight("w", vec![1], vec![1.0]);
    tag.data_type = Some(999);
    let m = model(vec![node("Add", &["x", "w"], &["y"])], vec![tag]);
    assert!(matches!(load(&m), Err(OnnxError::BadTensor { .. })));
}

#[test]
fn an_unsupported_operator_is_named_with_its_node_at_load() {
    let m = model(vec![node("NonMaxSuppression", &["x"], &["y"])], vec![]);
    match load(&m) {
        Err(e @ OnnxError::UnsupportedOp { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("NonMaxSuppression") && text.contains("NonMaxSuppression_y"),
                "{text}"
            );
        }
        other => panic!("expected UnsupportedOp, got {:?}", other.err()),
    }
}

#[test]
fn an_attribute_value_we_do_not_run_is_named_with_its_node_at_load() {
    let mut resize = node("Resize", &["x", "", "scales"], &["y"]);
    resize.attribute = vec![AttributeProto {
        name: Some("mode".into()),
        r#type: Some(attribute_proto::AttributeType::String as i32),
        s: Some(b"cubic".to_vec()),
        ..Default::default()
    }];
    let m = model(vec![resize], vec![weight("scales", vec![1], vec![2.0])]);
    match load(&m) {
        Err(e @ OnnxError::UnsupportedAttr { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("Resize_y") && text.contains("mode cubic"),
                "{text}"
            );
        }
        other => panic!("expected UnsupportedAttr, got {:?}", other.err()),
    }
}

#[test]
fn versions_outside_the_range_are_refused() {
    let mut m = valid();
    m.ir_version = Some(2);
    assert!(matches!(load(&m), Err(OnnxError::Version(_))));
    let mut m = valid();
    m.opset_import[0].version = Some(6);
    assert!(matches!(load(&m), Err(OnnxError::Version(_))));
}

#[test]
fn external_data_may_not_leave_the_model_folder() {
    let dir = std::env::temp_dir().join(format!("tessera-onnx-ext-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("w.bin"), [0u8; 8]).unwrap();
    for (location, ok) in [
        ("w.bin", true),
        ("../w.bin", false),
        ("/etc/passwd", false),
        ("missing.bin", false),
    ] {
        let mut w = weight("w", vec![2], vec![]);
        w.data_location = Some(DataLocation::External as i32);
        w.external_data = vec![StringStringEntryProto {
            key: Some("location".into()),
            value: Some(location.into()),
        }];
        let m = model(vec![node("Add", &["x", "w"], &["y"])], vec![w]);
        let path = dir.join("model.onnx");
        std::fs::write(&path, m.encode_to_vec()).unwrap();
        let result = OnnxModel::load(&path, &test_devices()[0]);
        assert_eq!(result.is_ok(), ok, "{location}: {:?}", result.err());
        if !ok {
            assert!(
                matches!(result, Err(OnnxError::ExternalData { .. })),
                "{location}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn truncated_and_random_bytes_are_errors_not_panics() {
    let bytes = valid().encode_to_vec();
    for cut in 0..bytes.len() {
        let _ = check_model_bytes(&bytes[..cut]);
    }
    let (mut rng, seed) = seeded_rng("onnx_random_bytes");
    for _ in 0..2000 {
        let mut b = bytes.clone();
        for _ in 0..rand::Rng::random_range(&mut rng, 1..8) {
            let i = rand::Rng::random_range(&mut rng, 0..b.len());
            b[i] = rand::Rng::random(&mut rng);
        }
        let _ = check_model_bytes(&b);
    }
    assert!(check_model_bytes(b"not a model").is_err(), "seed {seed}");
}
