//! The engine thread's loop, one request at a time: the models load here,
//! then each job runs to its end through `TextGenerator`'s generation loop
//! (or the embedder) before the next is taken from the queue.

use super::jobs::{EmbeddingJob, EmbeddingResult, FinishReason, GenerationEvent, GenerationJob, Job};
use super::prepare::{prepare, runtime_error};
use super::{model_id, random_generator, EngineOptions, EngineStats, ModelInfo, ModelSource};
use crate::serve::errors::ApiError;
use crate::serve::text_output::{IncrementalDecoder, StopMatcher};
use std::sync::atomic::Ordering;
use std::sync::mpsc as std_mpsc;
use crate::prelude::{open_device, AdapterSelector, SentenceEmbedder, TextGenerator};
use tessera_runtime::generation::{generate, StopReason};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Sentences per batch of an embeddings request, as `tessera embed` batches
/// them (so the vectors are the same).
const EMBED_BATCH: usize = 32;

/// The models on the engine thread.
struct Models {
    generator: TextGenerator,
    embedder: Option<SentenceEmbedder>,
}

fn load(options: &EngineOptions) -> Result<(Models, ModelInfo), String> {
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
        context: generator.config().max_position_embeddings,
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

/// Load the models, report on `ready`, then serve jobs until the queue closes.
pub fn run(
    options: EngineOptions,
    mut jobs: mpsc::Receiver<Job>,
    ready: std_mpsc::Sender<Result<ModelInfo, String>>,
    stats: Arc<EngineStats>,
) {
    let mut models = match load(&options) {
        Ok((models, info)) => {
            let _ = ready.send(Ok(info));
            models
        }
        Err(message) => {
            let _ = ready.send(Err(message));
            return;
        }
    };
    while let Some(job) = jobs.blocking_recv() {
        match job {
            Job::Generate(job) => {
                stats.active.store(1, Ordering::Relaxed);
                run_generation(&models.generator, job, options.default_max_tokens, &stats);
                stats.active.store(0, Ordering::Relaxed);
            }
            Job::Embed(job) => {
                run_embedding(models.embedder.as_ref(), job);
                EngineStats::add(&stats.embeddings, 1);
            }
        }
        recover_if_lost(&mut models);
    }
}

/// A lost device (out of memory, driver reset) fails every call: reload
/// the models on a fresh one so the next request runs.
fn recover_if_lost(models: &mut Models) {
    if models.generator.is_device_lost() {
        if let Err(e) = models.generator.recover() {
            tracing::warn!("device lost; reloading the decoder failed: {e}");
        }
    }
    if let Some(embedder) = models.embedder.as_mut().filter(|e| e.is_device_lost()) {
        if let Err(e) = embedder.recover() {
            tracing::warn!("device lost; reloading the embedder failed: {e}");
        }
    }
}

fn run_generation(
    generator: &TextGenerator,
    job: GenerationJob,
    default_max_tokens: usize,
    stats: &EngineStats,
) {
    let events = &job.events;
    if events.is_closed() {
        return; // the client went away while it waited
    }
    let prepared = match prepare(generator, &job, default_max_tokens) {
        Ok(p) => p,
        Err(e) => {
            let _ = events.send(GenerationEvent::Failed(e));
            return;
        }
    };
    let prompt_tokens = prepared.prompt_ids.len();
    let _ = events.send(GenerationEvent::Started { prompt_tokens });
    let Some(tokenizer) = generator.tokenizer() else {
        return; // load() refused a model without a tokenizer
    };
    let mut text = IncrementalDecoder::default();
    let mut stops = StopMatcher::new(job.stop.clone());
    let mut stopped_by_string = false;
    let mut decode_error = None;
    let result = generate(
        generator.decoder(),
        &prepared.prompt_ids,
        &prepared.options,
        |id| {
            if events.is_closed() {
                return false;
            }
            let piece = match text.push(tokenizer, id) {
                Ok(piece) => piece,
                Err(e) => {
                    decode_error = Some(e);
                    return false;
                }
            };
            let released = stops.push(&piece);
            if !released.text.is_empty() {
                let _ = events.send(GenerationEvent::Text(released.text));
            }
            stopped_by_string = released.stopped;
            !released.stopped
        },
    );
    let generation = match (result, decode_error) {
        (_, Some(e)) => {
            let _ = events.send(GenerationEvent::Failed(ApiError::internal(e.to_string())));
            return;
        }
        (Err(e), None) => {
            let _ = events.send(GenerationEvent::Failed(runtime_error(&e)));
            return;
        }
        (Ok(g), None) => g,
    };
    EngineStats::add(&stats.generated_tokens, generation.ids.len());
    if events.is_closed() {
        EngineStats::add(&stats.cancelled, 1);
        return;
    }
    EngineStats::add(&stats.completed, 1);
    if !stopped_by_string {
        let rest = text.finish(tokenizer).unwrap_or_default();
        let released = stops.push(&rest);
        stopped_by_string = released.stopped;
        let mut tail = released.text;
        if !stopped_by_string {
            tail.push_str(&stops.finish());
        }
        if !tail.is_empty() {
            let _ = events.send(GenerationEvent::Text(tail));
        }
    }
    let reason = match stopped_by_string || generation.stop == StopReason::EndOfSequence {
        true => FinishReason::Stop,
        false => FinishReason::Length,
    };
    let _ = events.send(GenerationEvent::Finished {
        reason,
        prompt_tokens,
        completion_tokens: generation.ids.len(),
    });
}

fn run_embedding(embedder: Option<&SentenceEmbedder>, job: EmbeddingJob) {
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
