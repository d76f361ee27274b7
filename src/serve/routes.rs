//! The HTTP routes: OpenAI's `/v1/completions`, `/v1/chat/completions`,
//! `/v1/embeddings` and `/v1/models`, and `/health`. Each checks its request
//! (400 with an OpenAI-style body), queues it for the engine (429 when the
//! queue is full) and answers from the request's own channel.

use super::engine::{
    EmbeddingJob, EngineHandle, EngineStats, GenerationEvent, GenerationJob, Job, ModelInfo, Prompt,
};
use super::errors::{parse_body, ApiError};
use super::openai_types::*;
use super::responses::{unix_now, usage, Endpoint, ResponseHead};
use super::sse::event_stream;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tessera_runtime::generation::SamplingConfig;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// What every route reads.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Where requests go.
    pub engine: EngineHandle,
    /// The served models.
    pub info: Arc<ModelInfo>,
    /// The engine's counters.
    pub stats: Arc<EngineStats>,
    /// How long a request may take, queueing included.
    pub request_timeout: Duration,
    /// The largest request body taken, in bytes.
    pub max_body_bytes: usize,
}

/// The server's routes over `state`.
pub fn router(state: AppState) -> Router {
    let limit = state.max_body_bytes;
    Router::new()
        .route("/health", get(health))
        .route("/v1/models", get(models))
        .route("/v1/completions", post(completions))
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/embeddings", post(embeddings))
        .fallback(|uri: Uri| async move { ApiError::not_found(uri.path()) })
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

async fn health(State(state): State<AppState>) -> Json<serde_json::Value> {
    let mut body = json!({ "status": "ok", "queued": state.engine.queued() });
    body["engine"] = state.stats.snapshot();
    Json(body)
}

async fn models(State(state): State<AppState>) -> Json<serde_json::Value> {
    let model =
        |id: &str| json!({ "id": id, "object": "model", "created": 0, "owned_by": "tessera" });
    let mut data = vec![model(&state.info.generator_id)];
    if let Some((id, _)) = &state.info.embedder {
        data.push(model(id));
    }
    Json(json!({ "object": "list", "data": data }))
}

/// The body's bytes, or 413 / 400.
fn body_bytes(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, ApiError> {
    body.map_err(|e| match e.status() {
        axum::http::StatusCode::PAYLOAD_TOO_LARGE => ApiError::too_large(limit),
        _ => ApiError::invalid(format!("cannot read the request body: {e}"), None),
    })
}

async fn completions(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let run = async {
        let bytes = body_bytes(body, state.max_body_bytes)?;
        let request: CompletionRequest = parse_body(&bytes)?;
        let fields: GenerationFields = parse_body(&bytes)?;
        if request.echo {
            return Err(ApiError::invalid("echo is not supported", Some("echo")));
        }
        if request.logprobs.is_some_and(|n| n > 0) {
            return Err(ApiError::invalid(
                "logprobs are not supported",
                Some("logprobs"),
            ));
        }
        let prompt = match request.prompt {
            PromptInput::Text(text) => Prompt::Text(text),
            PromptInput::Ids(ids) => Prompt::Ids(ids),
            PromptInput::Texts(mut texts) if texts.len() == 1 => Prompt::Text(texts.remove(0)),
            PromptInput::Texts(texts) => {
                return Err(ApiError::invalid(
                    format!(
                        "{} prompts given: one prompt per request is served",
                        texts.len()
                    ),
                    Some("prompt"),
                ))
            }
        };
        Ok(generation(
            &state,
            Endpoint::Completions,
            &request.model,
            prompt,
            fields,
        )
        .await)
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

async fn chat_completions(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let run = async {
        let bytes = body_bytes(body, state.max_body_bytes)?;
        let request: ChatRequest = parse_body(&bytes)?;
        let fields: GenerationFields = parse_body(&bytes)?;
        if request.logprobs {
            return Err(ApiError::invalid(
                "logprobs are not supported",
                Some("logprobs"),
            ));
        }
        if request.messages.is_empty() {
            return Err(ApiError::invalid(
                "messages must not be empty",
                Some("messages"),
            ));
        }
        let mut messages = Vec::with_capacity(request.messages.len());
        for (i, message) in request.messages.into_iter().enumerate() {
            let content = match message.content {
                None => String::new(),
                Some(MessageContent::Text(text)) => text,
                Some(MessageContent::Parts(parts)) => {
                    let mut text = String::new();
                    for part in parts {
                        match (part.kind.as_str(), part.text) {
                            ("text", Some(t)) => text.push_str(&t),
                            (kind, _) => {
                                return Err(ApiError::invalid(
                                    format!("content parts of type {kind:?} are not supported"),
                                    Some(&format!("messages[{i}].content")),
                                ))
                            }
                        }
                    }
                    text
                }
            };
            messages.push((message.role, content));
        }
        Ok(generation(
            &state,
            Endpoint::Chat,
            &request.model,
            Prompt::Chat(messages),
            fields,
        )
        .await)
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

/// The sampler settings of a request, with OpenAI's defaults (temperature 1,
/// top_p 1); without a seed, a fresh one per request.
fn sampling(fields: &GenerationFields) -> SamplingConfig {
    let fresh_seed = || {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(unix_now());
        h.finish()
    };
    SamplingConfig {
        temperature: fields.temperature.unwrap_or(1.0),
        top_k: fields.top_k.unwrap_or(0) as usize,
        top_p: fields.top_p.unwrap_or(1.0),
        repetition_penalty: fields.repetition_penalty.unwrap_or(1.0),
        seed: fields.seed.map_or_else(fresh_seed, |s| s as u64),
    }
}

/// Check the settings shared by both generation endpoints, queue the job and
/// answer: a whole response, or a stream once the engine accepted the prompt.
async fn generation(
    state: &AppState,
    endpoint: Endpoint,
    model: &str,
    prompt: Prompt,
    fields: GenerationFields,
) -> Response {
    let deadline = Instant::now() + state.request_timeout;
    let timeout_seconds = state.request_timeout.as_secs_f64();
    if model != state.info.generator_id {
        return ApiError::unknown_model(format!(
            "the model {model:?} is not served here (generation serves {:?})",
            state.info.generator_id
        ))
        .into_response();
    }
    if fields.n.is_some_and(|n| n != 1) {
        return ApiError::invalid("only n = 1 is served", Some("n")).into_response();
    }
    let stop = fields
        .stop
        .clone()
        .map(OneOrMany::into_vec)
        .unwrap_or_default();
    if stop.len() > MAX_STOP_STRINGS {
        return ApiError::invalid(
            format!("at most {MAX_STOP_STRINGS} stop strings are allowed"),
            Some("stop"),
        )
        .into_response();
    }
    let max_tokens = fields.max_completion_tokens.or(fields.max_tokens);
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let job = GenerationJob {
        prompt,
        max_tokens: max_tokens.map(|n| n as usize),
        sampling: sampling(&fields),
        stop,
        events: events_tx,
    };
    if let Err(e) = state.engine.submit(Job::Generate(job)) {
        return e.into_response();
    }
    // The prompt is checked on the engine thread: wait for its verdict.
    match tokio::time::timeout_at(deadline, events.recv()).await {
        Err(_) => return ApiError::timeout(timeout_seconds).into_response(),
        Ok(None) => return ApiError::internal("the engine dropped the request").into_response(),
        Ok(Some(GenerationEvent::Failed(e))) => return e.into_response(),
        Ok(Some(_)) => {}
    }
    let head = ResponseHead::new(endpoint, model);
    if fields.stream {
        let include_usage = fields.stream_options.is_some_and(|o| o.include_usage);
        return event_stream(head, events, include_usage, deadline, timeout_seconds)
            .into_response();
    }
    let mut text = String::new();
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => return ApiError::timeout(timeout_seconds).into_response(),
            Ok(None) => {
                return ApiError::internal("the engine dropped the request").into_response()
            }
            Ok(Some(GenerationEvent::Text(piece))) => text.push_str(&piece),
            Ok(Some(GenerationEvent::Started { .. })) => {}
            Ok(Some(GenerationEvent::Failed(e))) => return e.into_response(),
            Ok(Some(GenerationEvent::Finished {
                reason,
                prompt_tokens,
                completion_tokens,
            })) => {
                let usage = usage(prompt_tokens, completion_tokens);
                return Json(head.response(&text, reason.as_str(), usage)).into_response();
            }
        }
    }
}

async fn embeddings(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let run = async {
        let bytes = body_bytes(body, state.max_body_bytes)?;
        let request: EmbeddingRequest = parse_body(&bytes)?;
        let Some((id, dims)) = state.info.embedder.clone() else {
            return Err(ApiError::unknown_model(format!(
                "no embedding model is served (start the server with --embed-model DIR); asked for {:?}",
                request.model
            )));
        };
        if request.model != id {
            return Err(ApiError::unknown_model(format!(
                "the model {:?} is not served here (embeddings serve {id:?})",
                request.model
            )));
        }
        let base64 = match request.encoding_format.as_deref() {
            None | Some("float") => false,
            Some("base64") => true,
            Some(other) => {
                return Err(ApiError::invalid(
                    format!("encoding_format {other:?}: use \"float\" or \"base64\""),
                    Some("encoding_format"),
                ))
            }
        };
        if request.dimensions.is_some_and(|d| d as usize != dims) {
            return Err(ApiError::invalid(
                format!("this model gives {dims} dimensions only"),
                Some("dimensions"),
            ));
        }
        let texts = request.input.into_vec();
        if texts.is_empty() || texts.len() > MAX_EMBEDDING_INPUTS {
            return Err(ApiError::invalid(
                format!(
                    "input must hold 1 to {MAX_EMBEDDING_INPUTS} texts, not {}",
                    texts.len()
                ),
                Some("input"),
            ));
        }
        let (reply, result) = oneshot::channel();
        state
            .engine
            .submit(Job::Embed(EmbeddingJob { texts, reply }))?;
        let deadline = Instant::now() + state.request_timeout;
        let result = match tokio::time::timeout_at(deadline, result).await {
            Err(_) => return Err(ApiError::timeout(state.request_timeout.as_secs_f64())),
            Ok(Err(_)) => return Err(ApiError::internal("the engine dropped the request")),
            Ok(Ok(result)) => result?,
        };
        let data: Vec<_> = result
            .vectors
            .iter()
            .enumerate()
            .map(|(index, vector)| {
                let embedding = match base64 {
                    false => json!(vector),
                    true => {
                        let bytes: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
                        json!(base64::engine::general_purpose::STANDARD.encode(bytes))
                    }
                };
                json!({ "object": "embedding", "index": index, "embedding": embedding })
            })
            .collect();
        Ok(Json(json!({
            "object": "list",
            "data": data,
            "model": id,
            "usage": { "prompt_tokens": result.prompt_tokens, "total_tokens": result.prompt_tokens },
        }))
        .into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}
