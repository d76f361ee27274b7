//! The engine thread's loop over the runtime's continuous batching
//! ([`BatchScheduler`]): requests join the running batch between steps (up to
//! `--max-batch` at once; the rest wait in the bounded queue), each step
//! gives every active sequence one token, and a sequence whose client has
//! gone is cancelled before the next step, which frees its KV cache.
//! Embeddings requests run between steps.

use super::jobs::{GenerationJob, Job};
use super::models::{load, run_embedding, Models};
use super::output::SequenceOutput;
use super::prepare::{prepare, runtime_error};
use super::{EngineOptions, EngineStats, ModelInfo};
use crate::serve::errors::ApiError;
use std::collections::HashMap;
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use tessera_runtime::generation::{
    BatchOptions, BatchScheduler, SequenceEvent, SequenceId, SequenceRequest, StopReason,
};
use tokio::sync::mpsc::{self, error::TryRecvError};

/// Prompt tokens read per step, so running sequences keep getting tokens
/// while a long prompt is read.
const PREFILL_CHUNK: usize = 64;

/// The engine's state between steps.
struct Engine {
    scheduler: BatchScheduler,
    embedder: Option<tessera_runtime::models::bert::SentenceEmbedder>,
    live: HashMap<SequenceId, SequenceOutput>,
    options: EngineOptions,
    batch: BatchOptions,
    stats: Arc<EngineStats>,
}

/// Load the models, report on `ready`, then serve jobs until the queue
/// closes and every sequence has finished.
pub fn run(
    options: EngineOptions,
    mut jobs: mpsc::Receiver<Job>,
    ready: std_mpsc::Sender<Result<ModelInfo, String>>,
    stats: Arc<EngineStats>,
) {
    let mut batch = BatchOptions {
        max_batch: options.max_batch,
        max_context: usize::MAX,
        prefill_chunk: PREFILL_CHUNK,
    };
    let started = load(&options).and_then(
        |(
            Models {
                generator,
                embedder,
            },
            info,
        )| {
            batch.max_context = info.context;
            let config = generator.config();
            let position_bytes = config.num_layers * 2 * config.num_kv_heads * config.head_dim * 4;
            eprintln!(
                "kv cache: {} sequences of {} tokens, {:.1} MiB (allocated at the first request)",
                batch.max_batch,
                info.context,
                (batch.max_batch * info.context * position_bytes) as f64 / (1 << 20) as f64
            );
            let scheduler =
                BatchScheduler::new(generator, batch.clone()).map_err(|e| e.to_string())?;
            Ok((scheduler, embedder, info))
        },
    );
    let mut engine = match started {
        Ok((scheduler, embedder, info)) => {
            let _ = ready.send(Ok(info));
            Engine {
                scheduler,
                embedder,
                live: HashMap::new(),
                options,
                batch,
                stats,
            }
        }
        Err(message) => {
            let _ = ready.send(Err(message));
            return;
        }
    };
    let mut queue_open = true;
    loop {
        // Take new requests while the batch has room: wait when idle.
        while queue_open && engine.live.len() < engine.options.max_batch {
            let job = match engine.live.is_empty() {
                true => jobs.blocking_recv().ok_or(TryRecvError::Disconnected),
                false => jobs.try_recv(),
            };
            match job {
                Ok(Job::Generate(job)) => engine.admit(job),
                Ok(Job::Embed(job)) => {
                    run_embedding(engine.embedder.as_ref(), job);
                    EngineStats::add(&engine.stats.embeddings, 1);
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => queue_open = false,
            }
        }
        engine.cancel_abandoned();
        if engine.live.is_empty() {
            match queue_open {
                true => continue,
                false => return,
            }
        }
        engine.step();
        engine.stats.set_active(engine.live.len());
    }
}

impl Engine {
    /// Check a request and add it to the batch, or tell its client why not.
    fn admit(&mut self, job: GenerationJob) {
        if job.events.is_closed() {
            return; // the client went away while it waited
        }
        let generator = self.scheduler.generator();
        let context = self.scheduler.options().max_context;
        let prepared = match prepare(generator, &job, self.options.default_max_tokens, context) {
            Ok(p) => p,
            Err(e) => {
                let _ = job.events.send(super::GenerationEvent::Failed(e));
                return;
            }
        };
        let prompt_tokens = prepared.prompt_ids.len();
        let request = SequenceRequest {
            prompt_ids: prepared.prompt_ids,
            options: prepared.options,
            stop_ids: Vec::new(),
        };
        match self.scheduler.submit(request) {
            Ok(id) => {
                let output = SequenceOutput::start(job.events, job.stop, prompt_tokens);
                self.live.insert(id, output);
                self.stats.set_active(self.live.len());
            }
            Err(e) => {
                let _ = job
                    .events
                    .send(super::GenerationEvent::Failed(runtime_error(&e)));
            }
        }
    }

    /// Cancel the sequences whose clients have gone: their caches are freed now.
    fn cancel_abandoned(&mut self) {
        let gone: Vec<SequenceId> = self
            .live
            .iter()
            .filter(|(_, output)| output.client_gone())
            .map(|(id, _)| *id)
            .collect();
        for id in &gone {
            self.scheduler.cancel(*id);
            self.live.remove(id);
        }
        // Active first: a reader that sees the cancellation sees it gone.
        self.stats.set_active(self.live.len());
        EngineStats::add(&self.stats.cancelled, gone.len());
    }

    /// One step of the batch; its events to their clients.
    fn step(&mut self) {
        let events = match self.scheduler.step() {
            Ok(events) => events,
            Err(e) => return self.fail_all(runtime_error(&e)),
        };
        let Some(tokenizer) = self.scheduler.generator().tokenizer() else {
            return; // load() refused a model without a tokenizer
        };
        let mut ended = Vec::new();
        let (mut completed, mut cancelled) = (0, 0);
        for event in events {
            match event {
                SequenceEvent::Token { id, token } => {
                    EngineStats::add(&self.stats.generated_tokens, 1);
                    let Some(output) = self.live.get_mut(&id) else {
                        continue; // ended earlier in this step
                    };
                    if !output.token(tokenizer, token) {
                        // A stop string, a decoding error or a client gone.
                        let output = self.live.remove(&id).expect("live");
                        if !output.client_gone() {
                            let generated = output.tokens();
                            output.finish(tokenizer, false, generated);
                            completed += 1;
                        } else {
                            cancelled += 1;
                        }
                        ended.push(id);
                    }
                }
                SequenceEvent::Finished {
                    id,
                    reason,
                    generated_tokens,
                    ..
                } => {
                    if let Some(output) = self.live.remove(&id) {
                        let end = reason == StopReason::EndOfSequence;
                        output.finish(tokenizer, end, generated_tokens);
                        completed += 1;
                    }
                }
                SequenceEvent::Failed { id, error } => {
                    if let Some(output) = self.live.remove(&id) {
                        output.fail(runtime_error(&error));
                    }
                }
            }
        }
        for id in ended {
            self.scheduler.cancel(id);
        }
        // Active first: a reader that sees a sequence counted as ended sees
        // it gone from the active count.
        self.stats.set_active(self.live.len());
        EngineStats::add(&self.stats.completed, completed);
        EngineStats::add(&self.stats.cancelled, cancelled);
    }

    /// The batched pass failed (the device): every sequence is told and
    /// dropped. A lost device fails every call: the models are loaded again
    /// on a fresh one for the next requests.
    fn fail_all(&mut self, error: ApiError) {
        for (id, output) in self.live.drain() {
            output.fail(error.clone());
            self.scheduler.cancel(id);
        }
        self.stats.set_active(0);
        if !self.scheduler.generator().is_device_lost() {
            return;
        }
        let reloaded = load(&self.options).and_then(|(models, _)| {
            let scheduler = BatchScheduler::new(models.generator, self.batch.clone())
                .map_err(|e| e.to_string())?;
            Ok((scheduler, models.embedder))
        });
        match reloaded {
            Ok((scheduler, embedder)) => {
                self.scheduler = scheduler;
                self.embedder = embedder;
            }
            Err(e) => tracing::warn!("device lost; reloading the models failed: {e}"),
        }
    }
}
