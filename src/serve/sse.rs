//! A generation streamed as server-sent events in OpenAI's chunk format: a
//! chunk per text piece, the finish reason on the last choice chunk, the
//! usage chunk when asked for, then `data: [DONE]`. Dropping the stream (the
//! client went away) drops the engine's channel, which ends the sequence at
//! the engine's next step.

use super::engine::GenerationEvent;
use super::errors::ApiError;
use super::responses::{usage, Endpoint, ResponseHead};
use axum::response::sse::{Event, Sse};
use futures_util::Stream;
use std::collections::VecDeque;
use std::convert::Infallible;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

struct StreamState {
    events: UnboundedReceiver<GenerationEvent>,
    head: ResponseHead,
    include_usage: bool,
    deadline: Instant,
    timeout_seconds: f64,
    ready: VecDeque<Event>,
    done: bool,
}

fn data(value: serde_json::Value) -> Event {
    Event::default().data(value.to_string())
}

impl StreamState {
    /// Turn one engine event into the events to send.
    fn absorb(&mut self, event: Option<GenerationEvent>) {
        match event {
            Some(GenerationEvent::Started { .. }) => {}
            Some(GenerationEvent::Text(text)) => {
                self.ready
                    .push_back(data(self.head.chunk(Some(&text), false, None)));
            }
            Some(GenerationEvent::Finished {
                reason,
                prompt_tokens,
                completion_tokens,
            }) => {
                let text = (self.head.endpoint == Endpoint::Completions).then_some("");
                self.ready
                    .push_back(data(self.head.chunk(text, false, Some(reason.as_str()))));
                if self.include_usage {
                    let usage = usage(prompt_tokens, completion_tokens);
                    self.ready.push_back(data(self.head.usage_chunk(usage)));
                }
                self.ready.push_back(Event::default().data("[DONE]"));
                self.done = true;
            }
            Some(GenerationEvent::Failed(error)) => self.fail(error),
            None => self.fail(ApiError::internal("the engine dropped the request")),
        }
    }

    fn fail(&mut self, error: ApiError) {
        self.ready.push_back(data(error.body()));
        self.done = true;
    }
}

/// The response streaming `events` after `Started`, until `deadline`.
pub fn event_stream(
    head: ResponseHead,
    events: UnboundedReceiver<GenerationEvent>,
    include_usage: bool,
    deadline: Instant,
    timeout_seconds: f64,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let mut ready = VecDeque::new();
    if head.endpoint == Endpoint::Chat {
        ready.push_back(data(head.chunk(Some(""), true, None)));
    }
    let state = StreamState {
        events,
        head,
        include_usage,
        deadline,
        timeout_seconds,
        ready,
        done: false,
    };
    Sse::new(futures_util::stream::unfold(state, |mut s| async move {
        loop {
            if let Some(event) = s.ready.pop_front() {
                return Some((Ok(event), s));
            }
            if s.done {
                return None;
            }
            match tokio::time::timeout_at(s.deadline, s.events.recv()).await {
                Ok(event) => s.absorb(event),
                Err(_) => s.fail(ApiError::timeout(s.timeout_seconds)),
            }
        }
    }))
}
