//! Text generation with decoder models: token selection ([`Sampler`]) and the
//! decoding loop ([`generate`]).

mod generator;
mod sampling;

pub use generator::{generate, GenerateOptions, Generation, StopReason};
pub use sampling::{argmax, Sampler, SamplingConfig};

#[cfg(test)]
mod sampling_tests;
