//! What the routes hand the engine, and what comes back.

use crate::serve::errors::ApiError;
use tessera_runtime::generation::SamplingConfig;
use tokio::sync::{mpsc, oneshot};

/// A generation request's prompt, tokenized on the engine thread.
#[derive(Clone, Debug)]
pub enum Prompt {
    /// Text, tokenized with the model's tokenizer.
    Text(String),
    /// Token ids as given.
    Ids(Vec<u32>),
    /// Chat messages (role, content), rendered with the model's chat template.
    Chat(Vec<(String, String)>),
}

/// One generation request.
#[derive(Debug)]
pub struct GenerationJob {
    /// The prompt.
    pub prompt: Prompt,
    /// Tokens to generate at most (`None`: the server's default, capped by the context).
    pub max_tokens: Option<usize>,
    /// How tokens are chosen.
    pub sampling: SamplingConfig,
    /// Stop strings, matched on the decoded text.
    pub stop: Vec<String>,
    /// Where the events go; closed when the client has gone.
    pub events: mpsc::UnboundedSender<GenerationEvent>,
}

/// Why a sequence ended, in OpenAI's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinishReason {
    /// An end-of-sequence token or a stop string.
    Stop,
    /// `max_tokens` were generated.
    Length,
}

impl FinishReason {
    /// `stop` or `length`.
    pub fn as_str(self) -> &'static str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
        }
    }
}

/// What the engine tells a generation request, in order: `Started` (or
/// `Failed`), then `Text` pieces, then `Finished` (or `Failed`).
#[derive(Clone, Debug, PartialEq)]
pub enum GenerationEvent {
    /// The prompt was accepted and generation begins.
    Started {
        /// Tokens in the prompt.
        prompt_tokens: usize,
    },
    /// Generated text (whole characters, stop strings removed).
    Text(String),
    /// Generation ended.
    Finished {
        /// Why.
        reason: FinishReason,
        /// Tokens in the prompt.
        prompt_tokens: usize,
        /// Tokens generated.
        completion_tokens: usize,
    },
    /// The request was refused or failed.
    Failed(ApiError),
}

/// Embeddings of one request's texts.
#[derive(Clone, Debug)]
pub struct EmbeddingResult {
    /// One L2-normalised vector per text, in order.
    pub vectors: Vec<Vec<f32>>,
    /// Tokens read (after truncation at the model's limit).
    pub prompt_tokens: usize,
}

/// One embeddings request.
#[derive(Debug)]
pub struct EmbeddingJob {
    /// The texts.
    pub texts: Vec<String>,
    /// Where the result goes.
    pub reply: oneshot::Sender<Result<EmbeddingResult, ApiError>>,
}

/// A request for the engine.
#[derive(Debug)]
pub enum Job {
    /// Generate text.
    Generate(GenerationJob),
    /// Embed texts.
    Embed(EmbeddingJob),
}
