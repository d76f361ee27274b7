//! The command-line tool and the examples, run as a user would run them.

mod common;

use common::{write_tiny_bert, TINY_BERT_CONFIG};
use std::process::Command;

#[test]
fn devices_json_lists_adapters_with_capabilities() {
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["devices", "--json"])
        .output()
        .expect("run tessera");
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let adapters = doc["adapters"].as_array().expect("adapters array");
    assert!(!adapters.is_empty());
    for a in adapters {
        for key in [
            "name",
            "backend",
            "device_type",
            "driver",
            "limits",
            "features",
        ] {
            assert!(a.get(key).is_some(), "adapter lacks {key}: {a}");
        }
        assert!(
            a["limits"]["max_storage_buffer_binding_size"]
                .as_u64()
                .unwrap()
                > 0
        );
        assert!(a["features"]["shader_f16"].is_boolean());
    }
    let default = doc["default"].as_u64().expect("a default adapter") as usize;
    assert!(adapters
        .iter()
        .any(|a| a["index"].as_u64() == Some(default as u64)));
}

#[test]
fn devices_table_marks_the_default() {
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .arg("devices")
        .output()
        .expect("run tessera");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().filter(|l| l.starts_with('*')).count(),
        1,
        "{text}"
    );
}

#[test]
fn missing_model_says_how_to_fetch_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["embed", "--model", "/nonexistent/model-dir", "hello"])
        .output()
        .expect("run tessera");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("fetch-model.sh"), "{err}");
}

#[test]
fn unknown_adapter_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["embed", "--adapter", "no-such-adapter-xyz", "hello"])
        .output()
        .expect("run tessera");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no adapter matches"), "{err}");
}

/// The MLP example's own `main`, compiled into this test.
#[path = "../examples/mlp.rs"]
mod mlp_example;

#[test]
fn mlp_example_matches_cpu_reference() {
    // main() returns an error when the GPU result differs from the CPU reference.
    mlp_example::main().expect("the MLP example runs and matches the CPU reference");
}

#[test]
fn mlp_example_runs_on_the_cpu_backend() {
    let selector = tessera_hal::AdapterSelector::Named("cpu".into());
    let device = tessera_hal::open_device(&selector).expect("the CPU backend opens");
    assert_eq!(device.adapter().backend, "cpu");
    mlp_example::run(&device).expect("the MLP example runs on the CPU backend");
}

#[test]
fn devices_list_the_cpu_backend_last_and_never_as_the_default() {
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["devices", "--json"])
        .env_remove("TESSERA_ADAPTER")
        .output()
        .expect("run tessera");
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let adapters = doc["adapters"].as_array().expect("adapters array");
    let last = adapters.last().expect("at least the CPU backend");
    assert_eq!(last["backend"], "cpu", "{last}");
    assert_eq!(last["features"]["execution"], "HostOps", "{last}");
    if adapters.len() > 1 {
        assert_ne!(
            doc["default"], last["index"],
            "the CPU backend must not be the default"
        );
    }
}

/// Run `tessera bench ...` with a private cache dir; stdout as JSON lines.
fn bench_json(args: &[&str]) -> Vec<serde_json::Value> {
    let cache = std::env::temp_dir().join(format!("tessera-bench-cli-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .arg("bench")
        .args(args)
        .args(["--json", "--reps", "3", "--warmup", "1"])
        .env("TESSERA_CACHE_DIR", &cache)
        .output()
        .expect("run tessera");
    assert!(
        out.status.success(),
        "bench {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn bench_commands_print_one_json_object_per_run() {
    let runs = bench_json(&[
        "matmul",
        "--m",
        "33",
        "--k",
        "20",
        "--n",
        "17",
        "--all-variants",
    ]);
    assert!(
        runs.len() >= 3,
        "one record per applicable variant: {runs:?}"
    );
    for run in &runs {
        assert_eq!(run["op"], "matmul");
        assert_eq!(run["reps"], 3);
        assert!(run["gflops"].as_f64().unwrap() > 0.0, "{run}");
        assert!(run["median_ms"].as_f64().unwrap() > 0.0, "{run}");
        assert!(run["first_run_ms"].as_f64().is_some(), "{run}");
        assert!(run["adapter"].as_str().unwrap().contains('['), "{run}");
        assert_eq!(run["samples_ms"].as_array().unwrap().len(), 3);
    }
    for (op, extra) in [
        ("softmax", &["--rows", "8", "--cols", "64"][..]),
        ("layernorm", &["--rows", "8", "--cols", "64"][..]),
        (
            "rmsnorm",
            &["--rows", "8", "--cols", "60", "--variant", "general"][..],
        ),
        ("add", &["--elements", "1000"][..]),
        ("copy", &["--elements", "1024"][..]),
    ] {
        let mut args = vec![op];
        args.extend_from_slice(extra);
        let runs = bench_json(&args);
        assert_eq!(runs.len(), 1, "{op}: {runs:?}");
        assert_eq!(runs[0]["op"], op);
        assert!(runs[0]["gbps"].as_f64().unwrap() > 0.0, "{op}: {}", runs[0]);
    }
    let host_timed = bench_json(&["softmax", "--rows", "8", "--cols", "64", "--host-timing"]);
    assert_eq!(host_timed[0]["timer"], "host-sync", "{}", host_timed[0]);
    let dispatch = bench_json(&["dispatch", "--ops", "20", "--elements", "64"]);
    assert_eq!(dispatch[0]["ops"], 20);
    assert!(dispatch[0]["wall_per_op_us"].as_f64().unwrap() > 0.0);
    assert!(dispatch[0]["host_per_op_us"].as_f64().unwrap() > 0.0);
    let null = bench_json(&[
        "dispatch",
        "--ops",
        "20",
        "--elements",
        "64",
        "--null-device",
    ]);
    assert!(null[0]["host_per_op_us"].as_f64().unwrap() > 0.0);
    assert!(null[0]["gpu_per_op_us"].is_null(), "{}", null[0]);
}

#[test]
fn bench_rejects_bad_arguments_with_a_message() {
    for args in [
        &["matmul", "--variant", "no-such-kernel"][..],
        &["matmul", "--dtype", "f64"][..],
        &["softmax", "--variant", "fast"][..],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .arg("bench")
            .args(args)
            .args(
                ["--m", "4", "--k", "4", "--n", "4"]
                    .iter()
                    .filter(|_| args[0] == "matmul"),
            )
            .output()
            .expect("run tessera");
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error: "), "{args:?}: {err}");
    }
}

fn tiny_bert_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tessera-cli-bert-{}-{tag}", std::process::id()));
    write_tiny_bert(&dir, TINY_BERT_CONFIG)
}

#[test]
fn embed_batch_zero_is_an_error() {
    let dir = tiny_bert_dir("batch0");
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["embed", "--batch", "0", "--adapter", "cpu", "--model"])
        .arg(&dir)
        .arg("hello")
        .output()
        .expect("run tessera");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("--batch must be at least 1"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn embed_reports_inputs_cut_at_the_token_limit_once() {
    // The tiny model takes 16 tokens: two of these three inputs are longer.
    let dir = tiny_bert_dir("truncate");
    let long = "hello world ".repeat(30);
    let run = |texts: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(["embed", "--batch", "1", "--adapter", "cpu", "--model"])
            .arg(&dir)
            .args(texts)
            .output()
            .expect("run tessera");
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "{err}");
        let lines = String::from_utf8_lossy(&out.stdout).lines().count();
        assert_eq!(lines, texts.len(), "one embedding per input");
        err
    };
    let err = run(&[&long, "hello", &long]);
    let notes: Vec<&str> = err.lines().filter(|l| l.contains("cut")).collect();
    assert_eq!(
        notes,
        ["note: 2 of 3 inputs were cut at the model's limit of 16 tokens"],
        "{err}"
    );
    let err = run(&["hello", "hello world"]);
    assert!(!err.contains("cut"), "{err}");
}
