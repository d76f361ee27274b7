//! Model file loaders: safetensors, and GGUF in [`gguf`] (header, typed
//! metadata, tensor data, a writer) with its embedded tokenizer in
//! [`gguf_tokenizer`] (SentencePiece ones in `gguf_tokenizer_spm`, the
//! byte-level pre-tokenizers as data in [`gguf_pretokenizers`]). Every
//! offset, size and shape is validated before any tensor data is touched; bad
//! files are a [`LoadError`], never a panic.

mod error;
mod file_bytes;
pub mod gguf;
mod gguf_metadata;
mod gguf_model_file;
pub mod gguf_pretokenizers;
pub mod gguf_tokenizer;
mod gguf_tokenizer_spm;
mod gguf_write;
pub mod limits;
pub mod npy;
mod safetensors;
mod safetensors_write;

pub use error::LoadError;
pub use safetensors::{SafetensorsFile, StDType, TensorInfo};
pub use safetensors_write::{write_safetensors_bf16, write_safetensors_f16, write_safetensors_f32};

#[cfg(test)]
mod gguf_model_file_tests;
#[cfg(test)]
mod gguf_pretokenizers_tests;
#[cfg(test)]
mod gguf_tests;
#[cfg(test)]
mod gguf_tokenizer_spm_tests;
#[cfg(test)]
mod gguf_tokenizer_tests;
#[cfg(test)]
mod npy_tests;
#[cfg(test)]
mod safetensors_tests;
