//! The engine thread's loop, one request at a time: each job runs to its
//! end through the runtime's generation loop (or the embedder) before the
//! next is taken from the queue.

use super::jobs::{GenerationEvent, GenerationJob, Job};
use super::models::{load, recover_if_lost, run_embedding};
use super::output::SequenceOutput;
use super::prepare::{prepare, runtime_error};
use super::{EngineOptions, EngineStats, ModelInfo};
use crate::prelude::TextGenerator;
use std::sync::atomic::Ordering;
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use tessera_runtime::generation::{generate, StopReason};
use tokio::sync::mpsc;

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
    let Some(tokenizer) = generator.tokenizer() else {
        return; // load() refused a model without a tokenizer
    };
    let mut output = SequenceOutput::start(job.events, job.stop, prepared.prompt_ids.len());
    let result = generate(
        generator.decoder(),
        &prepared.prompt_ids,
        &prepared.options,
        |id| output.token(tokenizer, id),
    );
    let generation = match result {
        Ok(g) => g,
        Err(e) => {
            output.fail(runtime_error(&e));
            return;
        }
    };
    EngineStats::add(&stats.generated_tokens, generation.ids.len());
    if output.client_gone() {
        EngineStats::add(&stats.cancelled, 1);
        return;
    }
    EngineStats::add(&stats.completed, 1);
    let end = generation.stop == StopReason::EndOfSequence;
    output.finish(tokenizer, end, generation.ids.len());
}
