//! Helpers of the continuous batching tests: requests arriving at given
//! steps driven through a `BatchScheduler`, each sequence's events gathered
//! and checked for order, and what a request gives alone through `generate`.

use rand::Rng;
use std::collections::BTreeMap;
use tessera_runtime::generation::{
    generate, BatchOptions, BatchScheduler, GenerateOptions, SamplingConfig, SequenceEvent,
    SequenceId, SequenceRequest, StopReason,
};
use tessera_runtime::models::llama::Decoder;
use tessera_runtime::Error;

/// Steps a run may take before the test calls it stuck.
pub const MAX_STEPS: usize = 2_000;

/// What one sequence produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Its tokens, in order.
    pub tokens: Vec<u32>,
    /// Stop reason, prompt and generated token counts of its `Finished` event.
    pub finished: Option<(StopReason, usize, usize)>,
    /// The error of its `Failed` event.
    pub failed: Option<Error>,
}

/// One request and the step it arrives at.
pub struct Arrival {
    /// The step it is submitted before.
    pub step: usize,
    /// The request.
    pub request: SequenceRequest,
}

/// A request for `max_new_tokens` after `prompt_ids`, end-of-sequence ignored.
pub fn request(
    prompt_ids: Vec<u32>,
    max_new_tokens: usize,
    sampling: SamplingConfig,
) -> SequenceRequest {
    SequenceRequest {
        prompt_ids,
        options: GenerateOptions {
            max_new_tokens,
            sampling,
            stop_at_eos: false,
            ..Default::default()
        },
        stop_ids: Vec::new(),
    }
}

/// Submit each arrival at its step and step until every sequence ended;
/// `cancel` (step, arrival index) cancels that sequence before that step.
/// Checks the events' order: tokens, then at most one end, nothing after.
pub fn drive(
    scheduler: &mut BatchScheduler,
    arrivals: &[Arrival],
    cancel: Option<(usize, usize)>,
    context: &str,
) -> Vec<Outcome> {
    let mut ids: Vec<Option<SequenceId>> = vec![None; arrivals.len()];
    let mut outcomes: BTreeMap<SequenceId, Outcome> = BTreeMap::new();
    for step in 0..MAX_STEPS {
        for (i, arrival) in arrivals.iter().enumerate().filter(|(_, a)| a.step == step) {
            let id = scheduler
                .submit(arrival.request.clone())
                .unwrap_or_else(|e| panic!("{context}: submit {i}: {e}"));
            ids[i] = Some(id);
            outcomes.insert(id, Outcome::default());
        }
        if let Some((_, index)) = cancel.filter(|&(at, _)| at == step) {
            let id = ids[index].expect("cancel after arrival");
            let before = scheduler.active() + scheduler.pending();
            scheduler.cancel(id);
            assert_eq!(
                scheduler.active() + scheduler.pending(),
                before - 1,
                "{context}: cancel frees the sequence at once"
            );
        }
        let all_arrived = arrivals.iter().all(|a| a.step <= step);
        if all_arrived && scheduler.active() + scheduler.pending() == 0 {
            return ids
                .iter()
                .map(|id| outcomes.remove(&id.unwrap()).unwrap())
                .collect();
        }
        let events = scheduler
            .step()
            .unwrap_or_else(|e| panic!("{context}: step {step}: {e}"));
        assert!(
            scheduler.active() <= scheduler.options().max_batch,
            "{context}: step {step}: {} active",
            scheduler.active()
        );
        for event in events {
            let outcome = outcomes.get_mut(&event.id()).expect("a known id");
            assert!(
                outcome.finished.is_none() && outcome.failed.is_none(),
                "{context}: event after the end: {event:?}"
            );
            match event {
                SequenceEvent::Token { token, .. } => outcome.tokens.push(token),
                SequenceEvent::Finished {
                    reason,
                    prompt_tokens,
                    generated_tokens,
                    ..
                } => outcome.finished = Some((reason, prompt_tokens, generated_tokens)),
                SequenceEvent::Failed { error, .. } => outcome.failed = Some(error),
            }
        }
    }
    panic!("{context}: not done after {MAX_STEPS} steps");
}

/// What `request` gives alone through `generate` (ids and stop reason), a
/// stop id ending it as the scheduler does.
pub fn alone(decoder: &Decoder, request: &SequenceRequest) -> (Vec<u32>, StopReason) {
    let mut hit_stop = false;
    let generation = generate(decoder, &request.prompt_ids, &request.options, |id| {
        hit_stop = request.stop_ids.contains(&id);
        !hit_stop
    })
    .unwrap();
    let stop = match hit_stop {
        true => StopReason::EndOfSequence,
        false => generation.stop,
    };
    (generation.ids, stop)
}

/// `len` random ids below `vocab`.
pub fn random_prompt(rng: &mut impl Rng, len: usize, vocab: usize) -> Vec<u32> {
    (0..len)
        .map(|_| rng.random_range(0..vocab as u32))
        .collect()
}

/// Batch options with the model's whole context.
pub fn options(max_batch: usize, prefill_chunk: usize) -> BatchOptions {
    BatchOptions {
        max_batch,
        max_context: usize::MAX,
        prefill_chunk,
    }
}
