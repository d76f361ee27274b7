//! `tessera serve` over loopback with the crate's small HTTP client (no
//! Python): completions and chat, streamed and whole, against `tessera
//! generate`'s sequential greedy output and transformers' chat turns; stop
//! strings; 16 concurrent streams; embeddings against `tessera embed`.
//! `serve_faults.rs` has the errors and faults.

mod common;

use common::server::*;
use serde_json::{json, Value};
use std::process::Command;

#[test]
fn completions_whole_and_streamed_equal_sequential_greedy_generation() {
    let server = TestServer::start(&tiny_decoder("tiny-llama"), &[]);
    for prompt in PROMPTS {
        let expected = sequential_greedy(prompt, 24);
        let (status, body) = server.post("/v1/completions", &completion(prompt, 24, json!({})));
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["object"], "text_completion");
        assert_eq!(body["model"], "tiny-llama");
        let choice = &body["choices"][0];
        assert_eq!(choice["text"].as_str().unwrap(), expected, "{prompt:?}");
        let usage = &body["usage"];
        let completion_tokens = usage["completion_tokens"].as_u64().unwrap();
        assert!((1..=24).contains(&completion_tokens), "{usage}");
        assert_eq!(
            usage["total_tokens"].as_u64().unwrap(),
            usage["prompt_tokens"].as_u64().unwrap() + completion_tokens
        );
        let reason = if completion_tokens == 24 {
            "length"
        } else {
            "stop"
        };
        assert_eq!(choice["finish_reason"], reason);

        let streamed = completion(
            prompt,
            24,
            json!({"stream": true, "stream_options": {"include_usage": true}}),
        );
        let (status, events) = server.stream("/v1/completions", &streamed);
        assert_eq!(status, 200);
        assert_eq!(events.last().unwrap(), "[DONE]");
        let (text, finish) = stream_text(&events, false);
        assert_eq!(text, expected, "{prompt:?} streamed");
        assert_eq!(finish.as_deref(), Some(reason));
        let usage_chunk = &events[events.len() - 2];
        assert_eq!(usage_chunk["choices"], json!([]));
        assert_eq!(&usage_chunk["usage"], usage);
        assert!(events
            .iter()
            .all(|e| e == "[DONE]" || e["object"] == "text_completion"));
    }
    // Ids as the prompt, and a list of one string.
    let (status, by_ids) = server.post(
        "/v1/completions",
        &json!({"model": "tiny-llama", "prompt": [0, 285, 331], "max_tokens": 5, "temperature": 0}),
    );
    assert_eq!(status, 200, "{by_ids}");
    assert_eq!(by_ids["usage"]["prompt_tokens"], 3);
    let (status, listed) = server.post(
        "/v1/completions",
        &json!({"model": "tiny-llama", "prompt": [PROMPTS[0]], "max_tokens": 24, "temperature": 0}),
    );
    assert_eq!(status, 200, "{listed}");
    assert_eq!(
        listed["choices"][0]["text"],
        sequential_greedy(PROMPTS[0], 24)
    );
}

#[test]
fn stop_strings_end_generation_before_them() {
    let server = TestServer::start(&tiny_decoder("tiny-llama"), &[]);
    let prompt = PROMPTS[0];
    let full = sequential_greedy(prompt, 40);
    let chars: Vec<char> = full.chars().collect();
    assert!(chars.len() >= 12, "{full:?}");
    // A stop string from the middle of the output, two characters long.
    let stop: String = chars[8..10].iter().collect();
    let cut = &full[..full.find(&stop).unwrap()];
    for stream in [false, true] {
        let body = completion(
            prompt,
            40,
            json!({"stop": [stop.clone(), "\u{1F600}never"], "stream": stream}),
        );
        let (text, finish) = match stream {
            false => {
                let (status, body) = server.post("/v1/completions", &body);
                assert_eq!(status, 200, "{body}");
                let choice = &body["choices"][0];
                (
                    choice["text"].as_str().unwrap().to_string(),
                    choice["finish_reason"].as_str().map(String::from),
                )
            }
            true => stream_text(&server.stream("/v1/completions", &body).1, false),
        };
        assert_eq!(text, cut, "stop {stop:?}, stream {stream}");
        assert_eq!(finish.as_deref(), Some("stop"));
    }
}

#[test]
fn sixteen_concurrent_streams_equal_sequential_greedy_outputs() {
    let server = TestServer::start(&tiny_decoder("tiny-llama"), &["--max-queue", "32"]);
    let prompts: Vec<String> = (0..16).map(|i| format!("{} {i}", PROMPTS[i % 4])).collect();
    let expected: Vec<String> = prompts
        .iter()
        .map(|p| {
            let (status, body) = server.post("/v1/completions", &completion(p, 20, json!({})));
            assert_eq!(status, 200, "{body}");
            body["choices"][0]["text"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(expected[0], sequential_greedy(&prompts[0], 20));
    let streamed: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = prompts
            .iter()
            .map(|p| {
                let server = &server;
                s.spawn(move || {
                    let body = completion(p, 20, json!({"stream": true}));
                    let (status, events) = server.stream("/v1/completions", &body);
                    assert_eq!(status, 200, "{events:?}");
                    assert_eq!(events.last().unwrap(), "[DONE]");
                    stream_text(&events, false).0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(streamed, expected);
    let (_, health) = server.get("/health");
    let peak = health["engine"]["peak_active"].as_u64().unwrap();
    assert!(peak > 1, "the streams never ran together: {health}");
}

/// A JSON list of numbers as f32 (serde_json's parse of a 17-digit decimal
/// may be 1 ulp off in f64; the f32 it came from is recovered exactly).
fn floats(list: &Value) -> Vec<f32> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

#[test]
fn embeddings_equal_tessera_embed() {
    let Some(dir) = common::model_dir() else {
        return;
    };
    let server = TestServer::start(
        &tiny_decoder("tiny-llama"),
        &["--embed-model", dir.to_str().unwrap()],
    );
    let id = dir.file_name().unwrap().to_str().unwrap();
    let (_, models) = server.get("/v1/models");
    let ids: Vec<&str> = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["tiny-llama", id]);
    let texts = [
        "a cat sits on the mat",
        "A kitten rests on a rug.",
        "Quarterly revenue rose 4%",
        "",
        "日本語のテキスト",
    ];
    let tessera_embed = |texts: &[&str]| -> Vec<Vec<f32>> {
        let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(["embed", "--model", dir.to_str().unwrap()])
            .args(texts)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let line: Value = serde_json::from_str(l).unwrap();
                floats(&line["embedding"])
            })
            .collect()
    };
    let expected = tessera_embed(&texts);
    let (status, body) = server.post("/v1/embeddings", &json!({"model": id, "input": texts}));
    assert_eq!(status, 200, "{body}");
    assert!(body["usage"]["prompt_tokens"].as_u64().unwrap() >= texts.len() as u64 * 2);
    for (i, want) in expected.iter().enumerate() {
        let item = &body["data"][i];
        assert_eq!(item["index"], i);
        let got = floats(&item["embedding"]);
        assert_eq!(&got, want, "text {i}");
    }
    let (status, one) = server.post(
        "/v1/embeddings",
        &json!({"model": id, "input": texts[1], "encoding_format": "base64"}),
    );
    assert_eq!(status, 200, "{one}");
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(one["data"][0]["embedding"].as_str().unwrap())
        .unwrap();
    let got: Vec<f32> = bytes
        .chunks(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    // One text is its own batch (no padding), as `tessera embed` with one text.
    assert_eq!(got, tessera_embed(&texts[1..2])[0]);
    for (body, param) in [
        (json!({"model": id, "input": []}), "input"),
        (json!({"model": id, "input": [1, 2]}), "input"),
        (
            json!({"model": id, "input": "x", "encoding_format": "int8"}),
            "encoding_format",
        ),
        (
            json!({"model": id, "input": "x", "dimensions": 3}),
            "dimensions",
        ),
        (json!({"model": "tiny-llama", "input": "x"}), "model"),
    ] {
        let (s, b) = server.post("/v1/embeddings", &body);
        assert_error(s, &b, 400, Some(param), &body.to_string());
    }
}

#[test]
fn chat_completions_give_transformers_greedy_turns() {
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/chat/tiny-chat");
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("reference.json")).unwrap())
            .unwrap();
    let server = TestServer::start(&dir, &[]);
    let text = reference["text"].as_str().unwrap();
    let request = |messages: Value, extra: Value| {
        let mut body =
            json!({"model": "tiny-chat", "messages": messages, "max_tokens": 24, "temperature": 0});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let messages = json!([
        {"role": "system", "content": reference["system"]},
        {"role": "user", "content": reference["prompt"]},
    ]);
    let (status, body) = server.post(
        "/v1/chat/completions",
        &request(messages.clone(), json!({})),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["object"], "chat.completion");
    let choice = &body["choices"][0];
    assert_eq!(choice["message"]["role"], "assistant");
    assert_eq!(choice["message"]["content"], text);
    assert_eq!(choice["finish_reason"], "stop"); // at <|im_end|>
    let prompt_tokens = reference["prompt_ids"].as_array().unwrap().len();
    let completion_tokens = reference["ids"].as_array().unwrap().len();
    assert_eq!(body["usage"]["prompt_tokens"], prompt_tokens);
    assert_eq!(body["usage"]["completion_tokens"], completion_tokens);

    let streamed = request(
        messages,
        json!({"stream": true, "stream_options": {"include_usage": true}}),
    );
    let (status, events) = server.stream("/v1/chat/completions", &streamed);
    assert_eq!(status, 200);
    assert_eq!(
        events[0]["choices"][0]["delta"]["role"], "assistant",
        "{events:?}"
    );
    assert!(events
        .iter()
        .all(|e| e == "[DONE]" || e["object"] == "chat.completion.chunk"));
    assert_eq!(
        stream_text(&events, true),
        (text.to_string(), Some("stop".to_string()))
    );
    assert_eq!(events[events.len() - 2]["usage"], body["usage"]);
    assert_eq!(events.last().unwrap(), "[DONE]");

    // A user turn alone, its content given as text parts.
    let first = &reference["chat"][0];
    let parts = json!([{"role": "user", "content": [{"type": "text", "text": first["user"]}]}]);
    let (status, body) = server.post("/v1/chat/completions", &request(parts, json!({})));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["choices"][0]["message"]["content"], first["text"]);
    let image =
        json!([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]);
    let (s, b) = server.post("/v1/chat/completions", &request(image, json!({})));
    assert_error(s, &b, 400, Some("messages[0].content"), "an image part");
}

#[test]
fn chat_on_a_model_without_a_template_is_a_400() {
    let server = TestServer::start(&tiny_decoder("tiny-llama"), &[]);
    let body = json!({"model": "tiny-llama", "messages": [{"role": "user", "content": "hi"}]});
    let (s, b) = server.post("/v1/chat/completions", &body);
    assert_error(s, &b, 400, Some("messages"), "no chat template");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("chat template"),
        "{b}"
    );
}
