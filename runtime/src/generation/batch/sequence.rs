//! One sequence of the batch: its request, its KV cache (allocated when its
//! prompt starts), how far its prompt has been read, and its tokens.

use super::request::{SequenceEvent, SequenceId, SequenceRequest};
use crate::error::Result;
use crate::generation::{argmax, Sampler, StopReason};
use crate::models::llama::KvCache;

/// A request being served.
pub(super) struct Sequence {
    pub(super) id: SequenceId,
    pub(super) request: SequenceRequest,
    pub(super) sampler: Sampler,
    /// KV positions it needs: prompt + `max_new_tokens`.
    pub(super) capacity: usize,
    /// `None` until its prompt starts.
    pub(super) cache: Option<KvCache>,
    /// Prompt tokens already in the cache.
    pub(super) prefilled: usize,
    /// Prompt and generated ids (for the repetition penalty).
    pub(super) history: Vec<u32>,
    /// Tokens generated so far.
    pub(super) generated: usize,
}

impl Sequence {
    /// The last token, the next decode step's input.
    pub(super) fn last_token(&self) -> u32 {
        *self.history.last().expect("a sequence has a prompt")
    }

    /// Whether its token is chosen by argmax alone (on the device, without
    /// reading the logits back).
    pub(super) fn is_plain_greedy(&self) -> bool {
        self.sampler.config().is_plain_greedy()
    }

    /// The next token from this sequence's logits (modified in place).
    pub(super) fn choose(&mut self, logits: &mut [f32]) -> Result<u32> {
        match self.is_plain_greedy() {
            true => Ok(argmax(logits)),
            false => self.sampler.sample(logits, &self.history),
        }
    }

    /// Record `token`, report it, and report the end when it ends the
    /// sequence; returns whether it ended.
    pub(super) fn accept(
        &mut self,
        token: u32,
        eos: &[u32],
        events: &mut Vec<SequenceEvent>,
    ) -> bool {
        self.history.push(token);
        self.generated += 1;
        events.push(SequenceEvent::Token { id: self.id, token });
        let options = &self.request.options;
        let reason = if options.stop_at_eos
            && (eos.contains(&token) || options.stop_ids.contains(&token))
            || self.request.stop_ids.contains(&token)
        {
            StopReason::EndOfSequence
        } else if self.generated >= options.max_new_tokens {
            StopReason::MaxTokens
        } else {
            return false;
        };
        events.push(self.finished(reason));
        true
    }

    /// The event reporting its end.
    pub(super) fn finished(&self, reason: StopReason) -> SequenceEvent {
        SequenceEvent::Finished {
            id: self.id,
            reason,
            prompt_tokens: self.request.prompt_ids.len(),
            generated_tokens: self.generated,
        }
    }
}
