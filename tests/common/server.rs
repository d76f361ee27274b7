//! `tessera serve` started on a free loopback port for a test, driven with
//! the crate's small HTTP client; killed when dropped.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Mutex};
use std::time::Duration;
use tessera::serve::client;

/// How long a test waits for one read from the server.
pub const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// A tiny reference decoder's folder (`tiny-llama`, `tiny-qwen2`).
pub fn tiny_decoder(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/decoders")
        .join(name)
}

/// A running server.
pub struct TestServer {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub address: String,
    stderr: Mutex<mpsc::Receiver<String>>,
}

impl TestServer {
    /// `tessera serve --model MODEL --port 0 ARGS...`, once it listens.
    pub fn start(model: &std::path::Path, args: &[&str]) -> TestServer {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(["serve", "--model"])
            .arg(model)
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tessera serve");
        let (lines_tx, lines) = mpsc::channel();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        loop {
            match lines.recv_timeout(READ_TIMEOUT) {
                Ok(line) => {
                    if let Some(address) = line.strip_prefix("listening on http://") {
                        return TestServer {
                            child,
                            address: address.to_string(),
                            stderr: Mutex::new(lines),
                        };
                    }
                    seen.push(line);
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("tessera serve did not start:\n{}", seen.join("\n"));
                }
            }
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `POST path` with a JSON body: the status and the JSON answer.
    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = client::post_json(&self.address, path, body, READ_TIMEOUT).expect("POST");
        let status = response.status;
        (status, response.json().expect("a JSON body"))
    }

    /// `POST path` with raw bytes: the status and the JSON answer.
    pub fn post_raw(&self, path: &str, body: &[u8]) -> (u16, Value) {
        let response =
            client::send(&self.address, "POST", path, Some(body), READ_TIMEOUT).expect("POST");
        let status = response.status;
        (status, response.json().expect("a JSON body"))
    }

    /// `GET path`: the status and the JSON answer.
    pub fn get(&self, path: &str) -> (u16, Value) {
        let response = client::get(&self.address, path, READ_TIMEOUT).expect("GET");
        let status = response.status;
        (status, response.json().expect("a JSON body"))
    }

    /// A streamed request: the status and every `data:` payload (JSON, or
    /// the string `[DONE]`).
    pub fn stream(&self, path: &str, body: &Value) -> (u16, Vec<Value>) {
        let response = client::post_json(&self.address, path, body, READ_TIMEOUT).expect("POST");
        let status = response.status;
        if status != 200 {
            return (status, vec![response.json().expect("a JSON error")]);
        }
        assert_eq!(
            response.header("content-type"),
            Some("text/event-stream"),
            "a stream's content type"
        );
        let mut events = Vec::new();
        response
            .events(|data| {
                events.push(match data {
                    "[DONE]" => Value::String(data.into()),
                    _ => serde_json::from_str(data).expect("a JSON chunk"),
                });
                true
            })
            .expect("read the stream");
        (status, events)
    }

    /// Send SIGTERM and wait for the process to end.
    pub fn terminate(mut self) -> (ExitStatus, Vec<String>) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
        let exit = self.child.wait().expect("wait for the server");
        let lines = self.stderr.lock().unwrap().try_iter().collect();
        (exit, lines)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The text of a stream's chunks joined, with the last choice's finish reason.
pub fn stream_text(events: &[Value], chat: bool) -> (String, Option<String>) {
    let mut text = String::new();
    let mut finish = None;
    for event in events {
        let Some(choice) = event["choices"].get(0) else {
            continue;
        };
        let piece = match chat {
            true => &choice["delta"]["content"],
            false => &choice["text"],
        };
        text.push_str(piece.as_str().unwrap_or(""));
        if let Some(reason) = choice["finish_reason"].as_str() {
            finish = Some(reason.to_string());
        }
    }
    (text, finish)
}

/// `tessera generate`'s greedy text from tiny-llama after `prompt` (the
/// sequential loop).
pub fn sequential_greedy(prompt: &str, max_tokens: usize) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["generate", "--model"])
        .arg(tiny_decoder("tiny-llama"))
        .args(["--prompt", prompt, "--json", "--max-new-tokens"])
        .arg(max_tokens.to_string())
        .output()
        .expect("run tessera generate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    json["text"].as_str().unwrap().to_string()
}

/// A greedy `/v1/completions` body for tiny-llama, with `extra` fields.
pub fn completion(prompt: &str, max_tokens: usize, extra: Value) -> Value {
    let mut body = json!({
        "model": "tiny-llama", "prompt": prompt, "max_tokens": max_tokens, "temperature": 0,
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

/// Prompts with ASCII and multi-byte text.
pub const PROMPTS: [&str; 4] = [
    "The quick brown fox",
    "Once upon a time",
    "A cat sat on the mat and",
    "Über café 日本",
];

/// An OpenAI-style error with `want_status` (and `param`, when given).
pub fn assert_error(status: u16, body: &Value, want_status: u16, param: Option<&str>, what: &str) {
    assert_eq!(status, want_status, "{what}: {body}");
    let error = &body["error"];
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: {body}"
    );
    assert!(error["type"].is_string(), "{what}: {body}");
    assert!(
        error.get("code").is_some() && error.get("param").is_some(),
        "{what}: {body}"
    );
    if let Some(param) = param {
        assert_eq!(error["param"], param, "{what}: {body}");
    }
}
