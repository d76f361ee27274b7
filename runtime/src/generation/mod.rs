//! Text generation with decoder models: token selection ([`Sampler`]), the
//! decoding loop ([`generate`]), and [`TextGenerator`], which loads a model with
//! its tokenizer and turns text prompts into streamed text.

mod batch;
mod generator;
mod sampling;
mod text;
mod text_generator;
mod text_generator_chat;

pub use batch::{
    BatchOptions, BatchScheduler, SequenceEvent, SequenceId, SequenceRequest, DEFAULT_BATCH_CONTEXT,
};
#[cfg(not(target_arch = "wasm32"))]
pub use generator::generate;
pub use generator::{generate_async, GenerateOptions, Generation, StopReason};
pub(crate) use sampling::SplitMix64;
pub use sampling::{argmax, Sampler, SamplingConfig};
pub use text::{DecoderTokenizer, TextStream};
pub use text_generator::{TextGeneration, TextGenerator};

#[cfg(test)]
mod sampling_tests;
