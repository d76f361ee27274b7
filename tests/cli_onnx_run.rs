//! `tessera onnx run` end to end: the tiny encoder on .npy inputs (written by
//! numpy, scripts/make-onnx-run-fixtures.py) on every test adapter, its
//! .npy outputs against onnxruntime's; and each wrong input refused with a
//! message before anything runs.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tessera_runtime::loaders::npy::{read_npy, NpyData};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/onnx")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["onnx", "run"])
        .args(args)
        .output()
        .expect("run tessera")
}

fn floats(path: &Path) -> (Vec<usize>, Vec<f32>) {
    let a = read_npy(path).unwrap();
    let NpyData::Float(v) = a.data else {
        panic!("{path:?} is not float")
    };
    (a.shape, v.into_iter().map(|x| x as f32).collect())
}

#[test]
fn onnx_run_matches_onnxruntime_on_every_adapter() {
    let model = data().join("tiny_encoder.onnx");
    let x = format!("x={}", data().join("run/x.npy").display());
    for device in test_devices() {
        let out_dir = std::env::temp_dir().join(format!(
            "tessera-onnx-run-{}-{}",
            std::process::id(),
            device.adapter().index
        ));
        let index = device.adapter().index.to_string();
        let out = run(&[
            model.to_str().unwrap(),
            "--input",
            &x,
            "--out",
            out_dir.to_str().unwrap(),
            "--adapter",
            &index,
            "--stats",
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {stderr}", label(device));
        let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        assert_eq!(lines.len(), 2, "one line per output");
        for (i, name) in ["ln", "gate"].iter().enumerate() {
            let line = &lines[i];
            assert_eq!(line["index"], i);
            assert_eq!(line["name"], *name);
            assert_eq!(line["dtype"], "float32");
            let file = PathBuf::from(line["file"].as_str().unwrap());
            assert_eq!(file, out_dir.join(format!("output_{i}.npy")));
            let (shape, got) = floats(&file);
            let (eshape, want) = floats(&data().join(format!("run/expected_{i}.npy")));
            assert_eq!(shape, eshape);
            let shown: Vec<usize> = line["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap() as usize)
                .collect();
            assert_eq!(shown, shape);
            let tol = Tolerance {
                rtol: 1e-4,
                atol: 1e-5,
            };
            assert_close(&got, &want, tol, &format!("{name} on {}", label(device)));
        }
        let stats: serde_json::Value = serde_json::from_str(
            stderr
                .lines()
                .find(|l| l.contains("largest_live_bytes"))
                .expect("a --stats line"),
        )
        .unwrap();
        assert!(stats["weights_bytes"].as_u64().unwrap() > 0);
        assert!(stats["device_peak_bytes"].as_u64().unwrap() > 0);
        std::fs::remove_dir_all(&out_dir).unwrap();
    }
}

#[test]
fn wrong_inputs_are_refused_before_running() {
    let model = data().join("tiny_encoder.onnx");
    let model = model.to_str().unwrap();
    let out_dir = std::env::temp_dir().join(format!("tessera-onnx-run-bad-{}", std::process::id()));
    let out = out_dir.to_str().unwrap();
    let file = |name: &str| data().join("run").join(name).display().to_string();
    let hostile = std::env::temp_dir().join(format!("tessera-hostile-{}.npy", std::process::id()));
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }";
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    std::fs::write(&hostile, bytes).unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![], "graph input x is missing"),
        (
            vec![
                format!("x={}", file("x.npy")),
                format!("y={}", file("x.npy")),
            ],
            "no such input",
        ),
        (
            vec![format!("x={}", file("x_int64.npy"))],
            "the file holds int64",
        ),
        (vec![format!("x={}", file("x_dim7.npy"))], "dim 2 is 7"),
        (vec![format!("x={}", hostile.display())], "too large"),
        (vec!["x".to_string()], "expected NAME=FILE.npy"),
    ];
    for (inputs, message) in cases {
        let mut args = vec![model.to_string(), "--out".into(), out.into()];
        for i in &inputs {
            args.extend(["--input".to_string(), i.clone()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{inputs:?} succeeded");
        assert!(stderr.contains(message), "{inputs:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!out_dir.exists(), "{inputs:?} wrote outputs");
    }
    std::fs::remove_file(&hostile).unwrap();
}
