//! Decoder language models of the Llama and Qwen2 families: configuration from
//! the checkpoint's metadata, weights from safetensors or GGUF (dense or
//! quantized), a KV cache on the device, and the forward pass.
//!
//! Rules of this module:
//! - Token ids are checked against the vocabulary, and the context against the
//!   cache, on the host before anything is dispatched.
//! - Rotary tables are computed on the host once per model, the way Hugging
//!   Face computes them, so our logits track transformers'.

mod batch_forward;
mod config;
mod config_check;
mod decoder;
mod host_matrix;
mod kv_cache;
mod kv_pool;
mod load;
mod load_gguf;
mod load_safetensors;
mod qk_norm;
mod random;
mod rope_scaling;
mod rope_tables;

pub use config::{DecoderConfig, Family, MAX_CONTEXT};
pub use decoder::{Decoder, DecoderLayer, CAUSAL_MASKED};
pub use host_matrix::{upload_stacked, HostData, HostMatrix};
pub use kv_cache::KvCache;
pub use kv_pool::KvPool;
pub use load::load_decoder;
pub use load_gguf::{decoder_from_gguf, gguf_tokenizer, load_gguf_decoder, unpermute_rotary_rows};
pub use load_safetensors::{decoder_from_safetensors, load_safetensors_decoder};
pub use qk_norm::QkNorm;
pub use random::{random_decoder, WeightFormat};
pub use rope_scaling::{check_freq_factors, Llama3RopeScaling};
pub use rope_tables::{rope_table_values, rope_table_values_scaled, RopeTables};
