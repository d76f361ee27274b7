//! The JSON bodies the server answers, in OpenAI's shapes: whole responses
//! and the chunks of a stream.

use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Which generation endpoint a response belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `/v1/completions`.
    Completions,
    /// `/v1/chat/completions`.
    Chat,
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A fresh response id: `cmpl-...` or `chatcmpl-...`.
pub fn response_id(endpoint: Endpoint) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let prefix = match endpoint {
        Endpoint::Completions => "cmpl",
        Endpoint::Chat => "chatcmpl",
    };
    format!("{prefix}-{:x}{n:06x}", unix_now())
}

/// `usage` of a generation request.
pub fn usage(prompt_tokens: usize, completion_tokens: usize) -> Value {
    json!({
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    })
}

/// What every response and chunk of one request shares.
#[derive(Clone, Debug)]
pub struct ResponseHead {
    /// The endpoint.
    pub endpoint: Endpoint,
    /// The response id.
    pub id: String,
    /// The model's id.
    pub model: String,
    /// Creation time (Unix seconds).
    pub created: u64,
}

impl ResponseHead {
    /// A head for a new response.
    pub fn new(endpoint: Endpoint, model: &str) -> ResponseHead {
        ResponseHead {
            endpoint,
            id: response_id(endpoint),
            model: model.to_string(),
            created: unix_now(),
        }
    }

    /// The whole (non-streamed) response.
    pub fn response(&self, text: &str, finish_reason: &str, usage: Value) -> Value {
        let choice = match self.endpoint {
            Endpoint::Completions => json!({
                "index": 0, "text": text, "logprobs": null, "finish_reason": finish_reason,
            }),
            Endpoint::Chat => json!({
                "index": 0,
                "message": { "role": "assistant", "content": text },
                "logprobs": null,
                "finish_reason": finish_reason,
            }),
        };
        json!({
            "id": self.id,
            "object": match self.endpoint {
                Endpoint::Completions => "text_completion",
                Endpoint::Chat => "chat.completion",
            },
            "created": self.created,
            "model": self.model,
            "choices": [choice],
            "usage": usage,
        })
    }

    /// A stream chunk with one choice: `text` (the chat's first chunk also
    /// names the role) and the finish reason on the last.
    pub fn chunk(&self, text: Option<&str>, role: bool, finish_reason: Option<&str>) -> Value {
        let choice = match self.endpoint {
            Endpoint::Completions => json!({
                "index": 0, "text": text.unwrap_or(""), "logprobs": null, "finish_reason": finish_reason,
            }),
            Endpoint::Chat => {
                let mut delta = serde_json::Map::new();
                if role {
                    delta.insert("role".into(), "assistant".into());
                }
                if let Some(text) = text {
                    delta.insert("content".into(), text.into());
                }
                json!({ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason })
            }
        };
        self.chunk_with(vec![choice], None)
    }

    /// The chunk after the last choice, with the request's usage and no choices.
    pub fn usage_chunk(&self, usage: Value) -> Value {
        self.chunk_with(Vec::new(), Some(usage))
    }

    fn chunk_with(&self, choices: Vec<Value>, usage: Option<Value>) -> Value {
        let mut chunk = json!({
            "id": self.id,
            "object": match self.endpoint {
                Endpoint::Completions => "text_completion",
                Endpoint::Chat => "chat.completion.chunk",
            },
            "created": self.created,
            "model": self.model,
            "choices": choices,
        });
        if let Some(usage) = usage {
            chunk["usage"] = usage;
        }
        chunk
    }
}
