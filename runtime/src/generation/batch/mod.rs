//! Continuous batching: many generation requests served together. Requests
//! join at any step; each step prefills (a chunk of) one pending prompt and
//! advances every active sequence by one token in one batched decoder pass
//! ([`Decoder::forward_batch`](crate::models::llama::Decoder::forward_batch)),
//! each sequence in its own slot of a KV cache pool shared by the batch
//! (`max_batch` slots of `max_context` positions, so that each layer's rope,
//! cache writes and attention are one dispatch for the whole batch), freed
//! as soon as it finishes or is cancelled. Greedy and seeded output is the same as running each request
//! alone with [`generate`](super::generate).

mod request;
mod scheduler;
mod sequence;

pub use request::{
    BatchOptions, SequenceEvent, SequenceId, SequenceRequest, DEFAULT_BATCH_CONTEXT,
};
pub use scheduler::BatchScheduler;
