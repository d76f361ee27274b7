//! The decoding loop: the prompt in one batched pass, then one token per step
//! through the KV cache, streaming each token to a callback.

use super::sampling::{Sampler, SamplingConfig};
use crate::error::{Error, Result};
use crate::models::llama::Decoder;
use web_time::Instant;

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenerateOptions {
    /// Tokens to generate at most.
    pub max_new_tokens: usize,
    /// How each token is chosen.
    pub sampling: SamplingConfig,
    /// Stop after an end-of-sequence token of the model (its config's
    /// `eos_token_ids`) or one of `stop_ids`.
    pub stop_at_eos: bool,
    /// More ids that end generation when `stop_at_eos` is set (end-of-turn
    /// tokens such as `<|im_end|>`; [`crate::generation::TextGenerator`] adds
    /// its model's own).
    pub stop_ids: Vec<u32>,
    /// Positions to allocate in the KV cache (default: prompt + max_new_tokens,
    /// capped at the model's context).
    pub context: Option<usize>,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            max_new_tokens: 32,
            sampling: SamplingConfig::default(),
            stop_at_eos: true,
            stop_ids: Vec::new(),
            context: None,
        }
    }
}

/// Why generation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// `max_new_tokens` were generated.
    MaxTokens,
    /// The model produced an end-of-sequence or end-of-turn token.
    EndOfSequence,
    /// The callback asked to stop.
    Callback,
}

/// The result of [`generate`].
#[derive(Clone, Debug)]
pub struct Generation {
    /// The prompt's ids.
    pub prompt_ids: Vec<u32>,
    /// The generated ids (an end-of-sequence token included when it stopped there).
    pub ids: Vec<u32>,
    /// Seconds for the prompt pass up to the first token (time to first token).
    pub prompt_seconds: f64,
    /// Seconds for the remaining tokens.
    pub decode_seconds: f64,
    /// Why it stopped.
    pub stop: StopReason,
}

impl Generation {
    /// Prompt tokens per second; 0 when the prompt was not run (no token
    /// asked for).
    pub fn prompt_tokens_per_second(&self) -> f64 {
        match self.ids.is_empty() || self.prompt_seconds <= 0.0 {
            true => 0.0,
            false => self.prompt_ids.len() as f64 / self.prompt_seconds,
        }
    }

    /// Generated tokens per second after the first; 0 when fewer than two
    /// tokens were generated.
    pub fn decode_tokens_per_second(&self) -> f64 {
        match self.ids.len() < 2 || self.decode_seconds <= 0.0 {
            true => 0.0,
            false => (self.ids.len() - 1) as f64 / self.decode_seconds,
        }
    }
}

/// Generate up to `options.max_new_tokens` after `prompt_ids`, calling
/// `on_token(id)` as each token is produced (return `false` to stop).
/// Errors: an empty prompt, ids outside the vocabulary, a prompt plus
/// generation longer than the context, bad sampling settings. Blocks on
/// [`generate_async`]; on the web, where nothing may block, call that.
#[cfg(not(target_arch = "wasm32"))]
pub fn generate(
    decoder: &Decoder,
    prompt_ids: &[u32],
    options: &GenerateOptions,
    on_token: impl FnMut(u32) -> bool,
) -> Result<Generation> {
    pollster::block_on(generate_async(decoder, prompt_ids, options, on_token))
}

/// [`generate`] without blocking: each step's logits (or the greedy id) are
/// read back asynchronously, so the loop runs on the browser's event loop.
pub async fn generate_async(
    decoder: &Decoder,
    prompt_ids: &[u32],
    options: &GenerateOptions,
    mut on_token: impl FnMut(u32) -> bool,
) -> Result<Generation> {
    let op = "generate";
    if prompt_ids.is_empty() {
        return Err(Error::InvalidArgument {
            op,
            message: "the prompt has no tokens".into(),
        });
    }
    let model_context = decoder.config.max_position_embeddings;
    let wanted = prompt_ids.len().saturating_add(options.max_new_tokens);
    let context = options.context.unwrap_or(wanted.min(model_context));
    if context > model_context {
        return Err(Error::InvalidArgument {
            op,
            message: format!("context {context} exceeds the model's {model_context}"),
        });
    }
    if wanted > context {
        return Err(Error::InvalidArgument {
            op,
            message: format!(
                "context overflow: {} prompt tokens + {} new tokens exceed the context of {context}",
                prompt_ids.len(),
                options.max_new_tokens
            ),
        });
    }
    let mut sampler = Sampler::new(options.sampling.clone())?;
    if let Some((position, &id)) = prompt_ids
        .iter()
        .enumerate()
        .find(|(_, &id)| id as usize >= decoder.config.vocab_size)
    {
        return Err(Error::IndexOutOfRange {
            op,
            index: id as i64,
            position,
            bound: decoder.config.vocab_size,
        });
    }
    if options.max_new_tokens == 0 {
        // Nothing to generate: the prompt is checked, not run.
        return Ok(Generation {
            prompt_ids: prompt_ids.to_vec(),
            ids: Vec::new(),
            prompt_seconds: 0.0,
            decode_seconds: 0.0,
            stop: StopReason::MaxTokens,
        });
    }
    let mut cache = decoder.new_cache(context)?;
    let mut history = prompt_ids.to_vec();
    let mut ids = Vec::new();
    let start = Instant::now();
    let mut prompt_seconds = 0.0;
    let mut stop = StopReason::MaxTokens;
    let mut next_input = prompt_ids.to_vec();
    while ids.len() < options.max_new_tokens {
        let logits = decoder.forward(&next_input, &mut cache)?;
        let id = if sampler.config().is_plain_greedy() {
            logits.argmax(0)?.to_vec_async::<u32>().await?[0]
        } else {
            let mut values = logits.to_f32_vec_async().await?;
            sampler.sample(&mut values, &history)?
        };
        if ids.is_empty() {
            prompt_seconds = start.elapsed().as_secs_f64();
        }
        ids.push(id);
        history.push(id);
        if !on_token(id) {
            stop = StopReason::Callback;
            break;
        }
        let stops = decoder.config.eos_token_ids.contains(&id) || options.stop_ids.contains(&id);
        if options.stop_at_eos && stops {
            stop = StopReason::EndOfSequence;
            break;
        }
        next_input = vec![id];
    }
    let total = start.elapsed().as_secs_f64();
    Ok(Generation {
        prompt_ids: prompt_ids.to_vec(),
        ids,
        prompt_seconds,
        decode_seconds: total - prompt_seconds,
        stop,
    })
}
