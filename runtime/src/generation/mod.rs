//! Text generation with decoder models: token selection ([`Sampler`]) and the
//! decoding loop ([`generate`]).

mod generator;
mod sampling;
mod text;

pub use generator::{generate, GenerateOptions, Generation, StopReason};
pub(crate) use sampling::SplitMix64;
pub use sampling::{argmax, Sampler, SamplingConfig};
pub use text::{DecoderTokenizer, TextStream};

#[cfg(test)]
mod sampling_tests;
