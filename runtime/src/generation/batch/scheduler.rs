//! The batch scheduler: a queue of pending requests, the active sequences,
//! and the step that advances them.

use super::request::{BatchOptions, SequenceEvent, SequenceId, SequenceRequest};
use super::sequence::Sequence;
use crate::error::{Error, Result};
use crate::generation::{Sampler, StopReason, TextGenerator};
use crate::models::llama::{KvCache, KvPool};
use crate::tensor::Tensor;
use std::collections::VecDeque;

const OP: &str = "batch";

/// Serves many generation requests with one decoder: requests are submitted
/// at any time and join the running batch; each [`BatchScheduler::step`]
/// gives every active sequence one token through one batched decoder pass,
/// then reads pending prompts, oldest first, up to a token budget.
pub struct BatchScheduler {
    generator: TextGenerator,
    options: BatchOptions,
    next_id: u64,
    /// Waiting for their prompt pass, oldest first; the front one may be
    /// partly prefilled.
    pending: VecDeque<Sequence>,
    /// Decoding, in the order they became active.
    active: Vec<Sequence>,
    /// The sequences' caches: `max_batch` slots of `max_context` positions,
    /// made when the first prompt starts (`None` before, or when it could
    /// not be made: then each sequence gets buffers of its own).
    pool: Option<KvPool>,
    /// Whether making the pool failed (it is not tried again).
    pool_failed: bool,
}

impl BatchScheduler {
    /// A scheduler over `generator`'s decoder. `options.max_context` is capped
    /// at the model's context. Errors: `max_batch`, `max_context` or
    /// `prefill_chunk` of 0.
    pub fn new(generator: TextGenerator, mut options: BatchOptions) -> Result<BatchScheduler> {
        for (name, value) in [
            ("max_batch", options.max_batch),
            ("max_context", options.max_context),
            ("prefill_chunk", options.prefill_chunk),
        ] {
            if value == 0 {
                return Err(Error::InvalidArgument {
                    op: OP,
                    message: format!("{name} must be at least 1"),
                });
            }
        }
        options.max_context = options
            .max_context
            .min(generator.config().max_position_embeddings);
        Ok(BatchScheduler {
            generator,
            options,
            next_id: 0,
            pending: VecDeque::new(),
            active: Vec::new(),
            pool: None,
            pool_failed: false,
        })
    }

    /// Bytes of the KV cache pool on the device (`max_batch` slots of
    /// `max_context` positions, allocated when the first prompt starts;
    /// 0 before).
    pub fn kv_pool_bytes(&self) -> usize {
        self.pool.as_ref().map_or(0, KvPool::device_bytes)
    }

    /// The KV cache pool, once the first prompt has started (`None` before,
    /// or when it could not be made).
    pub fn kv_pool(&self) -> Option<&KvPool> {
        self.pool.as_ref()
    }

    /// A cache for a sequence of `capacity` positions: a free slot of the
    /// pool (made now if it is the first), else buffers of its own.
    fn sequence_cache(&mut self, capacity: usize) -> Result<KvCache> {
        if self.pool.is_none() && !self.pool_failed {
            let decoder = self.generator.decoder();
            match decoder.new_kv_pool(self.options.max_batch, self.options.max_context) {
                Ok(pool) => self.pool = Some(pool),
                Err(_) => self.pool_failed = true,
            }
        }
        if let Some(pool) = self.pool.as_ref().filter(|p| capacity <= p.capacity()) {
            if let Some(cache) = pool.take_slot()? {
                return Ok(cache);
            }
        }
        self.generator.decoder().new_cache(capacity)
    }

    /// The generator (tokenizer, configuration, device).
    pub fn generator(&self) -> &TextGenerator {
        &self.generator
    }

    /// The options in force (`max_context` after the cap).
    pub fn options(&self) -> &BatchOptions {
        &self.options
    }

    /// Queue a request; it starts at a coming step. Errors (the request is
    /// not queued): an empty prompt, a prompt plus `max_new_tokens` past
    /// `max_context`, prompt or stop ids outside the vocabulary, bad sampling
    /// settings.
    pub fn submit(&mut self, request: SequenceRequest) -> Result<SequenceId> {
        let prompt = &request.prompt_ids;
        if prompt.is_empty() {
            return Err(Error::InvalidArgument {
                op: OP,
                message: "the prompt has no tokens".into(),
            });
        }
        let vocab = self.generator.config().vocab_size;
        for ids in [prompt, &request.stop_ids, &request.options.stop_ids] {
            if let Some((position, &id)) =
                ids.iter().enumerate().find(|(_, &id)| id as usize >= vocab)
            {
                return Err(Error::IndexOutOfRange {
                    op: OP,
                    index: id as i64,
                    position,
                    bound: vocab,
                });
            }
        }
        let max_new = request.options.max_new_tokens;
        let capacity = prompt.len().saturating_add(max_new);
        if capacity > self.options.max_context {
            return Err(Error::InvalidArgument {
                op: OP,
                message: format!(
                    "context overflow: {} prompt tokens + {max_new} new tokens exceed the context of {}",
                    prompt.len(),
                    self.options.max_context
                ),
            });
        }
        let sampler = Sampler::new(request.options.sampling.clone())?;
        let id = SequenceId(self.next_id);
        self.next_id += 1;
        self.pending.push_back(Sequence {
            id,
            history: prompt.clone(),
            request,
            sampler,
            capacity,
            cache: None,
            prefilled: 0,
            generated: 0,
        });
        Ok(id)
    }

    /// Stop a sequence, pending or active, and free its cache now; unknown or
    /// finished ids are ignored. No event is reported for it.
    pub fn cancel(&mut self, id: SequenceId) {
        self.pending.retain(|s| s.id != id);
        self.active.retain(|s| s.id != id);
    }

    /// Sequences decoding.
    pub fn active(&self) -> usize {
        self.active.len()
    }

    /// Sequences waiting for (the rest of) their prompt pass.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// One step: every active sequence gets one token (one batched decoder
    /// pass), then, while the batch has room, pending prompts are read oldest
    /// first, `prefill_chunk` tokens in all across them (one decoder pass per
    /// prompt); a prompt read to its end gives the sequence its first token,
    /// and it decodes from the next step on.
    /// Returns the step's events in order. A sequence's own failure is a
    /// [`SequenceEvent::Failed`]; an `Err` is a failure of the batched pass
    /// or of reading its result (the device): no sequence has advanced, and
    /// the caller may step again or cancel them.
    pub fn step(&mut self) -> Result<Vec<SequenceEvent>> {
        let mut events = Vec::new();
        self.decode(&mut events)?;
        let mut budget = self.options.prefill_chunk;
        while budget > 0 && self.active.len() < self.options.max_batch && !self.pending.is_empty() {
            budget -= self.prefill(budget, &mut events);
        }
        Ok(events)
    }

    /// One token for every active sequence.
    fn decode(&mut self, events: &mut Vec<SequenceEvent>) -> Result<()> {
        if self.active.is_empty() {
            return Ok(());
        }
        let decoder = self.generator.decoder();
        let ids: Vec<u32> = self.active.iter().map(Sequence::last_token).collect();
        let mut caches: Vec<&mut KvCache> = self
            .active
            .iter_mut()
            .map(|s| s.cache.as_mut().expect("an active sequence has a cache"))
            .collect();
        let logits = decoder.forward_batch(&ids, &mut caches)?; // [n, vocab]
        let picks = match self.pick(&logits) {
            Ok(picks) => picks,
            Err(error) => {
                // Nothing was chosen: undo the step.
                for sequence in &mut self.active {
                    let cache = sequence
                        .cache
                        .as_mut()
                        .expect("an active sequence has a cache");
                    cache.truncate(cache.len() - 1);
                }
                return Err(error);
            }
        };
        let eos = self.generator.config().eos_token_ids.clone();
        let mut still = Vec::with_capacity(self.active.len());
        for (mut sequence, pick) in self.active.drain(..).zip(picks) {
            match pick {
                Ok(token) if !sequence.accept(token, &eos, events) => still.push(sequence),
                Ok(_) => {} // finished: its cache is freed here
                Err(error) => events.push(SequenceEvent::Failed {
                    id: sequence.id,
                    error,
                }),
            }
        }
        self.active = still;
        Ok(())
    }

    /// Each active sequence's token from the batch's logits `[n, vocab]`:
    /// one argmax on the device when all are greedy, else the logits read
    /// back and each sequence's own choice (its failure is its own).
    fn pick(&mut self, logits: &Tensor) -> Result<Vec<Result<u32>>> {
        if self.active.iter().all(Sequence::is_plain_greedy) {
            let ids = logits.argmax(1)?.to_vec::<u32>()?;
            return Ok(ids.into_iter().map(Ok).collect());
        }
        let vocab = self.generator.config().vocab_size;
        let values = logits.to_f32_vec()?;
        Ok(self
            .active
            .iter_mut()
            .zip(values.chunks_exact(vocab))
            .map(|(s, row)| s.choose(&mut row.to_vec()))
            .collect())
    }

    /// Read up to `budget` tokens of the oldest pending prompt; at its end,
    /// choose the first token and make the sequence active. Returns the
    /// prompt tokens read (at most `budget`).
    fn prefill(&mut self, budget: usize, events: &mut Vec<SequenceEvent>) -> usize {
        let Some(mut sequence) = self.pending.pop_front() else {
            return 0;
        };
        if sequence.request.options.max_new_tokens == 0 {
            // Nothing to generate: the prompt was checked, it is not run.
            events.push(sequence.finished(StopReason::MaxTokens));
            return 0;
        }
        let before = sequence.prefilled;
        let outcome = self.prefill_chunk(&mut sequence, budget);
        let read = sequence.prefilled - before;
        match outcome {
            Ok(None) => self.pending.push_front(sequence),
            Ok(Some(token)) => {
                let eos = &self.generator.config().eos_token_ids;
                if !sequence.accept(token, eos, events) {
                    self.active.push(sequence);
                }
            }
            Err(error) => events.push(SequenceEvent::Failed {
                id: sequence.id,
                error,
            }),
        }
        read
    }

    /// The next `budget` tokens (at most) of `sequence`'s prompt into its
    /// cache (allocated at the first chunk); the first generated token after
    /// the last chunk.
    fn prefill_chunk(&mut self, sequence: &mut Sequence, budget: usize) -> Result<Option<u32>> {
        if sequence.cache.is_none() {
            sequence.cache = Some(self.sequence_cache(sequence.capacity)?);
        }
        let decoder = self.generator.decoder();
        let cache = sequence.cache.as_mut().expect("allocated above");
        let prompt = &sequence.request.prompt_ids;
        let end = (sequence.prefilled + budget).min(prompt.len());
        let chunk = &prompt[sequence.prefilled..end];
        if end < prompt.len() {
            decoder.prefill(chunk, cache)?;
            sequence.prefilled = end;
            return Ok(None);
        }
        let logits = decoder.forward(chunk, cache)?; // [vocab]
        sequence.prefilled = end;
        let token = match sequence.is_plain_greedy() {
            true => logits.argmax(0)?.to_vec::<u32>()?[0],
            false => sequence.choose(&mut logits.to_f32_vec()?)?,
        };
        Ok(Some(token))
    }
}
