//! Continuous batching: many generation requests served together. Requests
//! join at any step; each step prefills (a chunk of) one pending prompt and
//! advances every active sequence by one token in one batched decoder pass
//! ([`Decoder::forward_batch`](crate::models::llama::Decoder::forward_batch)),
//! each sequence with its own KV cache, freed as soon as it finishes or is
//! cancelled. Greedy and seeded output is the same as running each request
//! alone with [`generate`](super::generate).

mod request;
mod scheduler;
mod sequence;

pub use request::{BatchOptions, SequenceEvent, SequenceId, SequenceRequest};
pub use scheduler::BatchScheduler;
