//! A random-weight decoder of a real model's shapes for load tests
//! (`tessera serve --random-preset`): the cost per token of the real model,
//! nothing to download. Its tokenizer is a word list (`w0` .. `wN`, one word
//! per id, split on whitespace), so every generated id decodes to text and
//! streams as a chunk.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_runtime::generation::{DecoderTokenizer, TextGenerator};
use tessera_runtime::models::llama::{random_decoder, DecoderConfig, WeightFormat};
use tokenizers::models::wordlevel::WordLevel;
use tokenizers::pre_tokenizers::whitespace::WhitespaceSplit;
use tokenizers::Tokenizer;

/// The random decoder to serve.
#[derive(Clone, Debug)]
pub struct RandomModel {
    /// Its id in `/v1/models`.
    pub name: String,
    /// Its shapes (`max_position_embeddings` is the context served).
    pub config: DecoderConfig,
    /// How its matrices are stored.
    pub format: WeightFormat,
}

/// A tokenizer whose ids are the words `w0` .. `w{vocab - 1}`; other words
/// are `w0`.
pub fn word_tokenizer(vocab: usize) -> Result<DecoderTokenizer, String> {
    let words: HashMap<String, u32> = (0..vocab as u32).map(|i| (format!("w{i}"), i)).collect();
    let model = WordLevel::builder()
        .vocab(words.into_iter().collect())
        .unk_token("w0".into())
        .build()
        .map_err(|e| format!("word tokenizer: {e}"))?;
    let mut tokenizer = Tokenizer::new(model);
    tokenizer.with_pre_tokenizer(Some(WhitespaceSplit));
    Ok(DecoderTokenizer::new(tokenizer, Path::new("<word list>")))
}

/// The random decoder with its word tokenizer on `device` (seed 7, as
/// `tessera bench generate` draws its weights).
pub fn random_generator(
    model: &RandomModel,
    device: &Arc<dyn Device>,
) -> Result<TextGenerator, String> {
    let context = model.config.max_position_embeddings;
    let decoder = random_decoder(&model.config, model.format, context, 7, device)
        .map_err(|e| format!("random decoder: {e}"))?;
    let tokenizer = word_tokenizer(model.config.vocab_size)?;
    Ok(TextGenerator::from_parts(decoder, tokenizer))
}
