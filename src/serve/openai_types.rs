//! The request bodies of OpenAI's API that the server takes, and the sampling
//! settings they carry. Unknown fields are ignored, as OpenAI's own server
//! does; fields of the wrong type are 400s naming the field.

use serde::Deserialize;

/// Most strings in `stop`, as OpenAI allows.
pub const MAX_STOP_STRINGS: usize = 4;
/// Most texts in one embeddings request, as OpenAI allows.
pub const MAX_EMBEDDING_INPUTS: usize = 2048;

/// A string or a list of strings (`stop`, embeddings' `input`).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One string.
    One(String),
    /// A list of strings.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The strings, one or many.
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// `prompt` of `/v1/completions`: a string, a list of one string, or token ids.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum PromptInput {
    /// Text.
    Text(String),
    /// Token ids.
    Ids(Vec<u32>),
    /// A list of texts (one only: the server answers one choice).
    Texts(Vec<String>),
}

/// `stream_options`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct StreamOptions {
    /// Send a last chunk with the request's `usage`.
    #[serde(default)]
    pub include_usage: bool,
}

/// The settings of `/v1/completions` and `/v1/chat/completions` that shape
/// generation, under OpenAI's names (`top_k` and `repetition_penalty` are
/// extensions, as in vLLM). Read from the same body as the endpoint's own
/// fields, in a second pass, so a wrong type names its field.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct GenerationFields {
    /// Tokens to generate at most.
    pub max_tokens: Option<u32>,
    /// The chat API's newer name for `max_tokens`.
    pub max_completion_tokens: Option<u32>,
    /// 0 is greedy; default 1.
    pub temperature: Option<f32>,
    /// Nucleus sampling mass; default 1.
    pub top_p: Option<f32>,
    /// Sample among the k most likely tokens (0 or absent: all).
    pub top_k: Option<u32>,
    /// Penalty on tokens already seen (1: off).
    pub repetition_penalty: Option<f32>,
    /// Seed of the sampler (reproducible sampling).
    pub seed: Option<i64>,
    /// Stop strings: generation ends before the first of them, which is not emitted.
    pub stop: Option<OneOrMany>,
    /// Choices per request; only 1 is served.
    pub n: Option<u32>,
    /// Stream server-sent events.
    #[serde(default)]
    pub stream: bool,
    /// Options of the stream.
    pub stream_options: Option<StreamOptions>,
}

/// The body of `POST /v1/completions`.
#[derive(Clone, Debug, Deserialize)]
pub struct CompletionRequest {
    /// The served model's id.
    pub model: String,
    /// The prompt.
    pub prompt: PromptInput,
    /// Echo the prompt before the completion (refused when true).
    #[serde(default)]
    pub echo: bool,
    /// Log probabilities (refused: not served).
    pub logprobs: Option<u32>,
}

/// A part of a message's content given as a list (`{"type": "text", "text": ...}`).
#[derive(Clone, Debug, Deserialize)]
pub struct ContentPart {
    /// The part's type: only `text` is served.
    #[serde(rename = "type")]
    pub kind: String,
    /// The text of a text part.
    #[serde(default)]
    pub text: Option<String>,
}

/// A message's content: a string or a list of text parts.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    /// Plain text.
    Text(String),
    /// Parts (text only).
    Parts(Vec<ContentPart>),
}

/// One message of a chat.
#[derive(Clone, Debug, Deserialize)]
pub struct ChatMessageIn {
    /// `system`, `user`, `assistant` (or another role the template knows).
    pub role: String,
    /// The message's text; absent or null is empty.
    #[serde(default)]
    pub content: Option<MessageContent>,
}

/// The body of `POST /v1/chat/completions`.
#[derive(Clone, Debug, Deserialize)]
pub struct ChatRequest {
    /// The served model's id.
    pub model: String,
    /// The conversation so far.
    pub messages: Vec<ChatMessageIn>,
    /// Log probabilities (refused when true: not served).
    #[serde(default)]
    pub logprobs: bool,
}

/// The body of `POST /v1/embeddings`.
#[derive(Clone, Debug, Deserialize)]
pub struct EmbeddingRequest {
    /// The served embedding model's id.
    pub model: String,
    /// A text or a list of texts.
    pub input: OneOrMany,
    /// `float` (default) or `base64` (little-endian f32 bytes).
    pub encoding_format: Option<String>,
    /// Output dimensions: only the model's own are served.
    pub dimensions: Option<u32>,
}
