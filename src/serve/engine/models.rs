//! The served models on the engine thread: loading them, answering
//! embeddings requests, and reloading after a lost device.

use super::jobs::{EmbeddingJob, EmbeddingResult};
use super::prepare::runtime_error;
use super::{model_id, random_generator, EngineOptions, ModelInfo, ModelSource};
use crate::prelude::{open_device, AdapterSelector, SentenceEmbedder, TextGenerator};
use crate::serve::errors::ApiError;

/// Sentences per batch of an embeddings request, as `tessera embed` batches
/// them (so the vectors are the same).
const EMBED_BATCH: usize = 32;

/// The models on the engine thread.
pub struct Models {
    /// The decoder and its tokenizer.
    pub generator: TextGenerator,
    /// The sentence embedder, when one is served.
    pub embedder: Option<SentenceEmbedder>,
}

/// Open the adapter and load the models.
pub fn load(options: &EngineOptions) -> Result<(Models, ModelInfo), String> {
    let selector = options
        .adapter
        .clone()
        .map(AdapterSelector::Named)
        .unwrap_or_default();
    let device = open_device(&selector).map_err(|e| format!("cannot open the adapter: {e}"))?;
    let generator = match &options.model {
        ModelSource::Path(path) => {
            let generator = TextGenerator::load(path, &device)
                .map_err(|e| format!("cannot load {}: {e}", path.display()))?;
            if generator.tokenizer().is_none() {
                return Err(format!(
                    "{} has no tokenizer (tokenizer.json beside it, or one embedded in the GGUF)",
                    path.display()
                ));
            }
            generator
        }
        ModelSource::Random(model) => random_generator(model, &device)?,
    };
    let embedder = match &options.embed_model {
        Some(dir) => Some(
            SentenceEmbedder::load(dir, &device)
                .map_err(|e| format!("cannot load {}: {e}", dir.display()))?,
        ),
        None => None,
    };
    eprintln!("adapter: {}", device.adapter().summary());
    let info = ModelInfo {
        generator_id: options.model.id(),
        context: options.served_context(generator.config().max_position_embeddings),
        embedder: options
            .embed_model
            .as_ref()
            .zip(embedder.as_ref())
            .map(|(dir, e)| (model_id(dir), e.config().hidden_size)),
    };
    Ok((
        Models {
            generator,
            embedder,
        },
        info,
    ))
}

/// Answer an embeddings request.
pub fn run_embedding(embedder: Option<&SentenceEmbedder>, job: EmbeddingJob) {
    if job.reply.is_closed() {
        return;
    }
    let result = match embedder {
        None => Err(ApiError::unknown_model("no embedding model is served")),
        Some(embedder) => embed(embedder, &job.texts),
    };
    let _ = job.reply.send(result);
}

fn embed(embedder: &SentenceEmbedder, texts: &[String]) -> Result<EmbeddingResult, ApiError> {
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let ids = embedder
        .tokenizer()
        .encode_batch(&texts)
        .map_err(|e| ApiError::invalid(format!("cannot tokenize the input: {e}"), Some("input")))?;
    let vectors = embedder
        .embed_batched(&texts, EMBED_BATCH, |_| {})
        .map_err(|e| runtime_error(&e))?;
    Ok(EmbeddingResult {
        vectors,
        prompt_tokens: ids.iter().map(Vec::len).sum(),
    })
}
