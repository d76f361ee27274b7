//! `tessera serve`'s bad input and faults over loopback: OpenAI-style
//! errors, a full queue (429), a client leaving mid-stream, a request past
//! its timeout, SIGTERM draining a stream.

mod common;

use common::server::*;
use serde_json::{json, Value};

#[test]
fn bad_requests_are_openai_errors_and_the_server_keeps_serving() {
    let server = TestServer::start(&tiny_decoder("tiny-llama"), &["--max-body-bytes", "4096"]);
    let (s, b) = server.post_raw(
        "/v1/completions",
        b"{\"model\": \"tiny-llama\", \"prompt\": ",
    );
    assert_error(s, &b, 400, None, "malformed JSON");
    let (s, b) = server.post_raw("/v1/chat/completions", b"[1, 2]");
    assert_error(s, &b, 400, None, "not an object");
    let cases = [
        (
            "/v1/completions",
            json!({"model": "tiny-llama", "prompt": "hi", "max_tokens": "ten"}),
            Some("max_tokens"),
            "max_tokens a string",
        ),
        (
            "/v1/completions",
            json!({"model": "tiny-llama", "prompt": "hi", "max_tokens": -1}),
            Some("max_tokens"),
            "negative max_tokens",
        ),
        (
            "/v1/completions",
            json!({"model": "tiny-llama", "prompt": "hi", "temperature": "hot"}),
            Some("temperature"),
            "temperature a string",
        ),
        (
            "/v1/completions",
            json!({"model": "tiny-llama", "prompt": "hi", "max_tokens": 1000}),
            Some("max_tokens"),
            "past the context",
        ),
        (
            "/v1/completions",
            json!({"model": "tiny-llama", "prompt": "hi", "temperature": -1}),
            Some("temperature"),
            "negative temperature",
        ),
        (
            "/v1/completions",
            json!({"model": "tiny-llama", "prompt": "hi", "top_p": 0}),
            Some("top_p"),
            "top_p 0",
        ),
        (
            "/v1/completions",
            json!({"model": "tiny-llama", "prompt": "hi", "n": 2}),
            Some("n"),
            "n = 2",
        ),
        (
            "/v1/completions",
            json!({"model": "tiny-llama", "prompt": "hi", "stop": ["a", "b", "c", "d", "e"]}),
            Some("stop"),
            "five stop strings",
        ),
        (
            "/v1/completions",
            json!({"model": "tiny-llama", "prompt": "hi", "stop": 7}),
            Some("stop"),
            "stop a number",
        ),
        (
            "/v1/completions",
            json!({"model": "tiny-llama", "prompt": [0, 99999]}),
            Some("prompt"),
            "an id past the vocabulary",
        ),
        (
            "/v1/completions",
            json!({"model": "tiny-llama", "prompt": ""}),
            Some("prompt"),
            "an empty prompt",
        ),
        (
            "/v1/completions",
            json!({"model": "tiny-llama"}),
            None,
            "no prompt",
        ),
        (
            "/v1/completions",
            json!({"model": "gpt-4", "prompt": "hi"}),
            Some("model"),
            "an unknown model",
        ),
        (
            "/v1/chat/completions",
            json!({"model": "tiny-llama", "messages": []}),
            Some("messages"),
            "no messages",
        ),
        (
            "/v1/chat/completions",
            json!({"model": "tiny-llama", "messages": "hi"}),
            Some("messages"),
            "messages a string",
        ),
        (
            "/v1/chat/completions",
            json!({"model": "nope", "messages": [{"role": "user", "content": "hi"}]}),
            Some("model"),
            "chat, unknown model",
        ),
        (
            "/v1/embeddings",
            json!({"model": "tiny-llama", "input": "hi"}),
            Some("model"),
            "no embedding model",
        ),
    ];
    for (path, body, param, what) in cases {
        let (s, b) = server.post(path, &body);
        assert_error(s, &b, 400, param, what);
        let mut streamed = body;
        streamed["stream"] = json!(true);
        streamed["stream_options"] = json!({"include_usage": true});
        let (s, b) = server.post(path, &streamed);
        assert_error(s, &b, 400, param, &format!("{what}, streamed"));
    }
    let big = json!({"model": "tiny-llama", "prompt": "x".repeat(5000)});
    let (s, b) = server.post("/v1/completions", &big);
    assert_error(s, &b, 413, None, "a body past --max-body-bytes");
    let (s, b) = server.get("/v1/nothing");
    assert_error(s, &b, 404, None, "an unknown route");
    // Still serving.
    let (s, b) = server.post("/v1/completions", &completion("hi", 3, json!({})));
    assert_eq!(s, 200, "{b}");
    let (s, b) = server.get("/health");
    assert_eq!((s, &b["status"]), (200, &json!("ok")));
    let (s, models) = server.get("/v1/models");
    assert_eq!(s, 200);
    assert_eq!(models["data"][0]["id"], "tiny-llama");
    assert_eq!(models["data"].as_array().unwrap().len(), 1);
}

#[test]
fn a_full_queue_answers_429_and_the_rest_complete() {
    let server = TestServer::start(
        &tiny_decoder("tiny-llama"),
        &["--max-queue", "1", "--max-batch", "1"],
    );
    let statuses: Vec<(u16, Vec<Value>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..12)
            .map(|i| {
                let server = &server;
                s.spawn(move || {
                    let body = completion(&format!("request {i}"), 100, json!({"stream": true}));
                    server.stream("/v1/completions", &body)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let refused = statuses.iter().filter(|(s, _)| *s == 429).count();
    assert!(
        refused >= 1,
        "{:?}",
        statuses.iter().map(|(s, _)| s).collect::<Vec<_>>()
    );
    for (status, events) in &statuses {
        match status {
            429 => assert_eq!(events[0]["error"]["type"], "rate_limit_error"),
            200 => assert_eq!(events.last().unwrap(), "[DONE]"),
            other => panic!("status {other}: {events:?}"),
        }
    }
}

#[test]
fn a_client_leaving_mid_stream_frees_its_sequence() {
    let server = TestServer::start(&tiny_decoder("tiny-llama"), &[]);
    let body = json!({"model": "tiny-llama", "prompt": "A", "max_tokens": 120, "temperature": 0.9, "seed": 3, "stream": true});
    let response = tessera::serve::client::post_json(
        &server.address,
        "/v1/completions",
        &body,
        common::server::READ_TIMEOUT,
    )
    .unwrap();
    assert_eq!(response.status, 200);
    let mut seen = 0;
    response
        .events(|_| {
            seen += 1;
            seen < 2
        })
        .unwrap(); // drops the connection
    let mut health = Value::Null;
    for _ in 0..600 {
        health = server.get("/health").1;
        if health["engine"]["cancelled"] == 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(health["engine"]["cancelled"], 1, "{health}");
    assert_eq!(health["engine"]["active"], 0, "{health}");
    let generated = health["engine"]["generated_tokens"].as_u64().unwrap();
    assert!(
        generated < 120,
        "the sequence ran on after its client left: {health}"
    );
}

#[test]
fn sigterm_drains_an_in_flight_stream_then_exits() {
    let server = TestServer::start(&tiny_decoder("tiny-llama"), &[]);
    let body = completion(
        "The quick brown fox",
        100,
        json!({"stream": true, "temperature": 0.8, "seed": 1}),
    );
    let response = tessera::serve::client::post_json(
        &server.address,
        "/v1/completions",
        &body,
        common::server::READ_TIMEOUT,
    )
    .unwrap();
    assert_eq!(response.status, 200);
    let pid = server.pid();
    let reader = std::thread::spawn(move || {
        let mut events = Vec::new();
        response
            .events(|data| {
                events.push(data.to_string());
                true
            })
            .unwrap();
        events
    });
    // Signal once the stream has begun.
    std::thread::sleep(std::time::Duration::from_millis(50));
    let (exit, stderr) = server.terminate();
    let events = reader.join().unwrap();
    assert_eq!(
        events.last().map(String::as_str),
        Some("[DONE]"),
        "pid {pid}: {events:?}"
    );
    assert!(exit.success(), "{exit:?}: {stderr:?}");
}

#[test]
fn a_request_past_the_timeout_is_a_504_or_an_error_event_and_is_freed() {
    // 120 tokens take about 0.25 s on lavapipe: ten times the timeout.
    let server = TestServer::start(&tiny_decoder("tiny-llama"), &["--request-timeout", "0.025"]);
    let body = json!({"model": "tiny-llama", "prompt": "A", "max_tokens": 120, "temperature": 0.9, "seed": 3});
    let (status, error) = server.post("/v1/completions", &body);
    assert_error(
        status,
        &error,
        504,
        None,
        "a whole response past the timeout",
    );
    assert_eq!(error["error"]["type"], "timeout_error");
    let mut streamed = body.clone();
    streamed["stream"] = json!(true);
    let (status, events) = server.stream("/v1/completions", &streamed);
    match status {
        // The prompt was accepted in time: the stream ends with an error event.
        200 => {
            let last = events.last().unwrap();
            assert_eq!(last["error"]["type"], "timeout_error", "{events:?}");
        }
        _ => assert_error(status, &events[0], 504, None, "a stream past the timeout"),
    }
    // Both sequences were dropped (cancelled, or skipped if still queued):
    // a second is four times what they would take to finish.
    std::thread::sleep(std::time::Duration::from_secs(1));
    let (_, health) = server.get("/health");
    assert_eq!(health["engine"]["active"], 0, "{health}");
    assert_eq!(health["engine"]["completed"], 0, "{health}");
    assert!(
        health["engine"]["generated_tokens"].as_u64().unwrap() < 240,
        "{health}"
    );
}
