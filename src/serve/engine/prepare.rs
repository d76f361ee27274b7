//! A generation request into prompt ids and options, checked against the
//! model before any device work: the prompt tokenized (or its ids checked
//! against the vocabulary), `max_tokens` within the context, the sampling
//! settings in range.

use super::jobs::{GenerationJob, Prompt};
use crate::serve::errors::ApiError;
use tessera_runtime::chat::ChatMessage;
use tessera_runtime::generation::{GenerateOptions, TextGenerator};
use tessera_runtime::Error;

/// A request ready to run.
pub struct Prepared {
    /// The prompt's ids.
    pub prompt_ids: Vec<u32>,
    /// Tokens to generate, sampling, the KV cache's size.
    pub options: GenerateOptions,
}

/// Tokenize and check `job` against the served `context` (prompt and
/// output). Errors are 400s naming the field at fault.
pub fn prepare(
    generator: &TextGenerator,
    job: &GenerationJob,
    default_max_tokens: usize,
    context: usize,
) -> Result<Prepared, ApiError> {
    let prompt_ids = match &job.prompt {
        Prompt::Text(text) => generator.encode_prompt(text).map_err(|e| {
            ApiError::invalid(format!("cannot tokenize the prompt: {e}"), Some("prompt"))
        })?,
        Prompt::Ids(ids) => {
            let vocab = generator.config().vocab_size;
            if let Some(bad) = ids.iter().find(|&&id| id as usize >= vocab) {
                return Err(ApiError::invalid(
                    format!("token id {bad} is outside the vocabulary of {vocab}"),
                    Some("prompt"),
                ));
            }
            ids.clone()
        }
        Prompt::Chat(messages) => {
            if generator.chat_template().is_none() {
                return Err(ApiError::invalid(
                    "the model has no chat template: use /v1/completions",
                    Some("messages"),
                ));
            }
            let messages: Vec<ChatMessage> = messages
                .iter()
                .map(|(role, content)| ChatMessage {
                    role: role.clone(),
                    content: content.clone(),
                })
                .collect();
            generator.encode_chat(&messages).map_err(|e| {
                ApiError::invalid(format!("cannot render the chat: {e}"), Some("messages"))
            })?
        }
    };
    let param = match job.prompt {
        Prompt::Chat(_) => "messages",
        _ => "prompt",
    };
    if prompt_ids.is_empty() {
        return Err(ApiError::invalid("the prompt has no tokens", Some(param)));
    }
    let room = context.saturating_sub(prompt_ids.len());
    if room == 0 {
        return Err(ApiError {
            code: Some("context_length_exceeded"),
            ..ApiError::invalid(
                format!(
                    "the prompt has {} tokens: the context served is {context}",
                    prompt_ids.len()
                ),
                Some(param),
            )
        });
    }
    let max_new_tokens = match job.max_tokens {
        Some(asked) if asked > room => {
            return Err(ApiError {
                code: Some("context_length_exceeded"),
                ..ApiError::invalid(
                    format!(
                        "max_tokens {asked} plus the prompt's {} tokens exceed the context served, {context}",
                        prompt_ids.len()
                    ),
                    Some("max_tokens"),
                )
            });
        }
        Some(asked) => asked,
        None => default_max_tokens.min(room),
    };
    job.sampling
        .validate()
        .map_err(|e| ApiError::invalid(e.to_string(), sampling_param(&e)))?;
    Ok(Prepared {
        prompt_ids,
        options: GenerateOptions {
            max_new_tokens,
            sampling: job.sampling.clone(),
            stop_at_eos: true,
            stop_ids: generator.stop_ids().to_vec(),
            context: None,
        },
    })
}

/// The request field a sampling error names.
fn sampling_param(error: &Error) -> Option<&'static str> {
    let text = error.to_string();
    ["temperature", "top_p", "top_k", "repetition_penalty"]
        .into_iter()
        .find(|name| text.contains(name))
}

/// A runtime error while running a checked request: 400 when it is about the
/// request's values, else 500.
pub fn runtime_error(error: &Error) -> ApiError {
    match error {
        Error::InvalidArgument { .. } | Error::IndexOutOfRange { .. } => {
            ApiError::invalid(error.to_string(), None)
        }
        _ => ApiError::internal(error.to_string()),
    }
}
