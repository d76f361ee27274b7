//! `tessera generate --chat` and `tessera chat` (stdin piped) on the tiny chat
//! model (`tests/data/chat/tiny-chat/`): prompt ids equal transformers'
//! `apply_chat_template(tokenize=True)` ids, generation stops on the
//! end-of-turn token, the history is kept across turns, `/reset` and `/quit`
//! work, and a model without a template is a clear error.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn chat_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/chat/tiny-chat")
}

fn reference() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(chat_dir().join("reference.json")).unwrap())
        .unwrap()
}

fn tessera(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tessera");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn models() -> [PathBuf; 2] {
    [chat_dir(), chat_dir().join("model-f32.gguf")]
}

#[test]
fn generate_chat_prompts_as_transformers_and_stops_at_end_of_turn() {
    let r = reference();
    for model in models() {
        let out = tessera(
            &[
                "generate",
                "--model",
                model.to_str().unwrap(),
                "--chat",
                "--system",
                r["system"].as_str().unwrap(),
                "--prompt",
                r["prompt"].as_str().unwrap(),
                "--max-new-tokens",
                "16",
                "--json",
            ],
            "",
        );
        let lines = json_lines(&out);
        assert_eq!(lines.len(), 1);
        assert_eq!(
            lines[0]["prompt_ids"],
            r["prompt_ids"],
            "{}",
            model.display()
        );
        assert_eq!(lines[0]["ids"], r["ids"], "{}", model.display());
        assert_eq!(lines[0]["text"], r["text"]);
        assert_eq!(lines[0]["stop"], "EndOfSequence");
    }
}

#[test]
fn chat_keeps_history_across_turns_from_piped_stdin() {
    let r = reference();
    let turns = r["chat"].as_array().unwrap();
    let input: String = turns
        .iter()
        .map(|t| format!("{}\n", t["user"].as_str().unwrap()))
        .collect();
    for model in models() {
        let args = [
            "chat",
            "--model",
            model.to_str().unwrap(),
            "--max-new-tokens",
            "16",
            "--json",
        ];
        let lines = json_lines(&tessera(&args, &input));
        assert_eq!(lines.len(), turns.len(), "{}", model.display());
        for (line, turn) in lines.iter().zip(turns) {
            assert_eq!(
                line["prompt_ids"],
                turn["prompt_ids"],
                "{}",
                model.display()
            );
            assert_eq!(line["ids"], turn["ids"]);
            assert_eq!(line["text"], turn["text"]);
            assert_eq!(line["stop"], "EndOfSequence");
        }
    }
}

#[test]
fn chat_reset_forgets_and_quit_ends() {
    let r = reference();
    let first = &r["chat"][0];
    let user = first["user"].as_str().unwrap();
    let input = format!("{user}\n\n/reset\n{user}\n/quit\n{user}\n");
    let model = chat_dir();
    let args = [
        "chat",
        "--model",
        model.to_str().unwrap(),
        "--max-new-tokens",
        "16",
        "--json",
    ];
    let lines = json_lines(&tessera(&args, &input));
    assert_eq!(lines.len(), 2, "{lines:?}");
    for line in &lines {
        assert_eq!(line["prompt_ids"], first["prompt_ids"]);
    }
}

#[test]
fn chat_streams_text() {
    let r = reference();
    let turn = &r["chat"][0];
    let model = chat_dir();
    let args = [
        "chat",
        "--model",
        model.to_str().unwrap(),
        "--max-new-tokens",
        "16",
    ];
    let out = tessera(&args, &format!("{}\n", turn["user"].as_str().unwrap()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout, format!("{}\n", turn["text"].as_str().unwrap()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("tokens/s"), "{stderr}");
}

#[test]
fn a_model_without_a_template_is_a_clear_error() {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/decoders/tiny-llama");
    for args in [
        vec![
            "generate",
            "--model",
            model.to_str().unwrap(),
            "--chat",
            "--prompt",
            "hi",
        ],
        vec!["chat", "--model", model.to_str().unwrap()],
    ] {
        let out = tessera(&args, "hi\n");
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("no chat template") && stderr.contains("--chat-template"),
            "{stderr}"
        );
    }
    // --chat-template supplies one; its special tokens come from the model.
    let template = std::env::temp_dir().join(format!("tessera-chat-{}.jinja", std::process::id()));
    std::fs::write(&template, "{{ eos_token }}{{ messages[0].content }}").unwrap();
    let out = tessera(
        &[
            "generate",
            "--model",
            chat_dir().to_str().unwrap(),
            "--chat",
            "--chat-template",
            template.to_str().unwrap(),
            "--prompt",
            "The fox",
            "--max-new-tokens",
            "1",
            "--json",
        ],
        "",
    );
    let lines = json_lines(&out);
    assert_eq!(lines[0]["prompt_ids"][0], 1, "{lines:?}");
    std::fs::remove_file(template).unwrap();
}
