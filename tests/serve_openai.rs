//! `tessera serve` driven by the official `openai` Python package
//! (`scripts/serve_openai_check.py`): chat and completions with and without
//! streaming, embeddings against `tessera embed`, 16 concurrent streams
//! against the sequential outputs, the error cases and a full queue.
//!
//! Runs when `TESSERA_OPENAI_VENV` names a venv with `openai` (scripts/test.sh
//! sets it to the one scripts/setup.sh makes); fails when it is set but the
//! venv is broken, and in CI when it is unset.

mod common;

use common::server::{tiny_decoder, TestServer};
use std::path::PathBuf;
use std::process::Command;

const VENV_ENV: &str = "TESSERA_OPENAI_VENV";

fn venv_python() -> Option<PathBuf> {
    let Some(venv) = std::env::var_os(VENV_ENV) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{VENV_ENV} is unset in CI: scripts/test.sh sets it"
        );
        eprintln!("skipped: set {VENV_ENV} to a venv with the openai package (scripts/setup.sh makes one)");
        return None;
    };
    let python = PathBuf::from(venv).join("bin/python");
    let probe = Command::new(&python)
        .args(["-c", "import openai; print(openai.__version__)"])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{VENV_ENV} is set but {} does not run: {e}",
                python.display()
            )
        });
    assert!(
        probe.status.success(),
        "{VENV_ENV} is set but its python cannot import openai: {}",
        String::from_utf8_lossy(&probe.stderr)
    );
    Some(python)
}

#[test]
fn the_official_openai_client_gets_what_it_expects() {
    let Some(python) = venv_python() else { return };
    let model = tiny_decoder("tiny-llama");
    let embed_dir = common::model_dir();
    let mut args: Vec<String> = Vec::new();
    if let Some(dir) = &embed_dir {
        args.extend(["--embed-model".into(), dir.display().to_string()]);
    }
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = TestServer::start(&model, &arg_refs);
    let small_queue = TestServer::start(&model, &["--max-queue", "1", "--max-batch", "1"]);
    let chat_model = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/chat/tiny-chat");
    let chat = TestServer::start(&chat_model, &[]);
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/serve_openai_check.py");
    let mut command = Command::new(&python);
    command
        .arg(script)
        .args(["--base-url", &format!("http://{}/v1", server.address)])
        .args([
            "--small-queue-url",
            &format!("http://{}/v1", small_queue.address),
        ])
        .args(["--chat-url", &format!("http://{}/v1", chat.address)])
        .args(["--chat-model", "tiny-chat", "--chat-model-path"])
        .arg(&chat_model)
        .args(["--model", "tiny-llama", "--model-path"])
        .arg(&model)
        .args(["--tessera", env!("CARGO_BIN_EXE_tessera")]);
    if let Some(dir) = &embed_dir {
        command
            .arg("--embed-dir")
            .arg(dir)
            .args(["--embed-id", dir.file_name().unwrap().to_str().unwrap()]);
    }
    let out = command.output().expect("run the openai check script");
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}");
    assert!(
        out.status.success(),
        "the openai client's checks failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("all checks passed"), "{stdout}");
}
