//! The command-line tool and the examples, run as a user would run them.

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
