//! What a caller of the batch scheduler gives and gets: its options, one
//! request, a sequence's id, and the events a step reports.

use crate::error::Error;
use crate::generation::{GenerateOptions, StopReason};
use std::fmt;

/// The default [`BatchOptions::max_context`]: 8 slots of it take 768 MiB
/// of KV cache for Qwen2.5-0.5B, where its whole 32k context would take 6 GiB.
pub const DEFAULT_BATCH_CONTEXT: usize = 4096;

/// How a [`BatchScheduler`](super::BatchScheduler) batches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchOptions {
    /// Sequences decoding together at most (later requests wait, pending).
    pub max_batch: usize,
    /// KV positions per sequence at most (prompt + new tokens), capped at the
    /// model's context. The scheduler's KV pool holds `max_batch` sequences
    /// of this many positions (allocated when the first prompt starts), so
    /// this sizes its memory: per position, layers x 2 x kv_heads x head_dim
    /// x 4 bytes (24 KiB for Qwen2.5-0.5B).
    pub max_context: usize,
    /// Prompt tokens prefilled per step at most, across the pending prompts
    /// (oldest first, several short ones in one step), so running sequences
    /// keep getting a token every step while a long prompt is read.
    pub prefill_chunk: usize,
}

impl Default for BatchOptions {
    /// 8 sequences of up to [`DEFAULT_BATCH_CONTEXT`] positions (or the
    /// model's context, when shorter), prompts read 64 tokens a step.
    fn default() -> Self {
        BatchOptions {
            max_batch: 8,
            max_context: DEFAULT_BATCH_CONTEXT,
            prefill_chunk: 64,
        }
    }
}

/// One generation request.
#[derive(Clone, Debug)]
pub struct SequenceRequest {
    /// The prompt's token ids (at least one).
    pub prompt_ids: Vec<u32>,
    /// `max_new_tokens`, the sampling settings (with their seed),
    /// `stop_at_eos` and its `stop_ids`; `context` is not used (the cache holds the prompt and
    /// `max_new_tokens`).
    pub options: GenerateOptions,
    /// Further ids that end the sequence like an end-of-sequence token
    /// (reported as [`StopReason::EndOfSequence`]; the id is the last token).
    pub stop_ids: Vec<u32>,
}

/// A sequence's handle, unique within its scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SequenceId(pub(super) u64);

impl SequenceId {
    /// The number behind the id (ids count up from 0 in submission order).
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for SequenceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seq-{}", self.0)
    }
}

/// What happened to a sequence during a step.
#[derive(Debug)]
pub enum SequenceEvent {
    /// The sequence produced `token`.
    Token {
        /// The sequence.
        id: SequenceId,
        /// The new token.
        token: u32,
    },
    /// The sequence ended (after its last `Token` event, in the same step);
    /// its cache is freed.
    Finished {
        /// The sequence.
        id: SequenceId,
        /// Why it ended.
        reason: StopReason,
        /// Tokens of its prompt.
        prompt_tokens: usize,
        /// Tokens it generated (a stop token included).
        generated_tokens: usize,
    },
    /// The sequence's own work failed (its cache allocation, its prompt pass,
    /// its sampling); it is dropped and the others go on.
    Failed {
        /// The sequence.
        id: SequenceId,
        /// What failed.
        error: Error,
    },
}

impl SequenceEvent {
    /// The sequence the event is about.
    pub fn id(&self) -> SequenceId {
        match self {
            SequenceEvent::Token { id, .. }
            | SequenceEvent::Finished { id, .. }
            | SequenceEvent::Failed { id, .. } => *id,
        }
    }
}
